"""Syslog messages (RFC 5424, RFC 3164 as senders write it, Docker's formats) into ECS fields.

Senders disagree about RFC 3164, so the grammar here is the one seen in practice: a BSD timestamp
with a space-padded day and no year, or an ISO one (rsyslog's high-precision forwarding), or none at
all (Python's SysLogHandler, Docker's default unix format); a hostname or not; a tag with or without
``[pid]``, with or without the colon after it (``host tag[1234] message``). Real senders also
write the month in capitals (``AUG 30``), a space after the PRI (``<38> Aug 30 ...``) and a colon
after the time (``Aug 30 23:00:00: host ...``, Cisco). What has no ``<PRI>`` fits no grammar: it is
kept whole and tagged, never dropped.

RFC 5424's VERSION is one to three digits without a leading zero. Structured data is
``log.syslog.structured_data``: ``{SD-ID: {PARAM-NAME: value}}``. A PARAM-NAME repeated inside an
element (which RFC 5424 6.3.3 allows, e.g. ``[origin ip="192.0.2.1" ip="192.0.2.129"]``) keeps all
its values as a list in order; a repeated SD-ID (which 6.3.2 forbids) keeps both elements, the
SD-ID then holding a list of their parameter maps: nothing a sender wrote is overwritten. An
element that does not parse (``[id eventSource= "Application"]``) does not cost the header: the
elements that parse are kept, the whole structured-data text as received goes to
``log.syslog.structured_data_raw`` and the event is tagged ``_sdparsefailure``. Only when an
element never ends (no ``]`` outside a quoted value) is there no telling SD from MSG, and the frame
is kept whole as an unparsed message.

``@timestamp`` has milliseconds (the envelope's contract); when the sender's timestamp is more
precise (RFC 5424 allows six fraction digits, ``.000003``), ``log.syslog.timestamp`` keeps it to
the microsecond, in UTC.

Docker's syslog driver (moby ``daemon/logger/syslog``, formatters from github.com/RackSec/srslog)
writes, with ``tag`` defaulting to the 12-hex-digit container id and the pid being dockerd's:

* ``syslog-format`` unset (srslog UnixFormatter): ``<PRI>Jan _2 15:04:05 TAG[PID]: MSG``
* ``rfc3164``: ``<PRI>Jan _2 15:04:05 HOSTNAME TAG[PID]: MSG``
* ``rfc5424``: ``<PRI>1 2006-01-02T15:04:05Z07:00 HOSTNAME TAG PID TAG - MSG``
* ``rfc5424micro``: the same with ``.000000`` fractional seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from grokpipe.envelope import TAG_INVALID_UTF8, TAG_SD_PARSE_FAILURE, TAG_SYSLOG_PARSE_FAILURE, format_timestamp
from grokpipe.timeutil import nearest_year

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")
_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_BOM = "\ufeff"

_PRI = re.compile(r"<(\d{1,3})>")
# the common RFC 5424 frame (a UTC timestamp, no structured data) in one match; _rfc5424 does the rest
_FAST_5424 = re.compile(
    r"<(\d{1,3})>([1-9]\d{0,2}) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z (\S+) (\S+) (\S+) (\S+) (?:- |-\Z)"
)
_RFC5424 = re.compile(r"([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?")
# a space after the PRI, any case for the month, a colon after the time: all written by real senders
_BSD_TIME = re.compile(
    r" *((?i:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)) +(\d{1,2})(?: (\d{4}))? (\d\d):(\d\d):(\d\d)"
    r"(\.\d+)?:? +"
)
_ISO_TIME = re.compile(r" *(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?):? +")
# TAG[PID]: -- a tag is what precedes the colon; it may hold '/', '.', '-' (docker/name, postfix/smtpd);
# with a [PID] the colon may be missing (rsyslog's "host tag[1234] message")
_TAG = re.compile(r"([^\s\[\]:]{1,128})(?:\[([^\]\s]{1,64})\])?(?::|(?<=\])(?= |$)) ?")
_FRACTION = re.compile(r"\.(\d+)")
_HOSTNAME = re.compile(r"([A-Za-z0-9_.:\-\[\]%]{1,255}) ")
_UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")
_HEX_ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")
_SD_PARAM = re.compile(r' ([^\s=\]"]{1,32})="((?:[^"\\]|\\.)*)"', re.S)
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")


class SyslogParser:
    """Parses one message at a time; ``parse`` never raises."""

    def __init__(self, timezone: str = "UTC", now: Callable[[], datetime] | None = None) -> None:
        self._tz: tzinfo = UTC if timezone == "UTC" else ZoneInfo(timezone)
        self._now = now or (lambda: datetime.now(UTC))
        self._bsd_cache: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self._seconds: dict[str, bool] = {}
        self._priorities: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # shared, never mutated
        self._containers: dict[str, dict[str, Any] | None] = {}

    def parse(self, data: bytes) -> dict[str, Any]:
        return self.parse_text(data)[0]

    def parse_text(self, data: bytes) -> tuple[dict[str, Any], str]:
        """The fields and the frame as text (invalid UTF-8 replaced): ``event.original``, decoded once."""
        tags: list[str] = []
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = data.decode(errors="replace")
            tags.append(TAG_INVALID_UTF8)
        try:
            fields = self._parse(text)
        except Exception:  # noqa: BLE001 -- a bug here must not lose the message: keep it whole
            fields = None
        if fields is None:
            fields = {"@timestamp": format_timestamp(self._now()), "message": text}
            tags.append(TAG_SYSLOG_PARSE_FAILURE)
        if tags:
            fields["tags"] = [*tags, *fields.get("tags", ())]
        return fields, text

    # -- grammars ----------------------------------------------------------------------------------

    def _parse(self, text: str) -> dict[str, Any] | None:
        fast = self._common_5424(text)
        if fast is not None:
            return fast
        pri = _PRI.match(text)
        if pri is None or int(pri[1]) > 191:
            return None
        priority = int(pri[1])
        syslog: dict[str, Any] = {
            "priority": priority,
            "facility": {"code": priority >> 3, "name": FACILITIES[priority >> 3]},
            "severity": {"code": priority & 7, "name": SEVERITIES[priority & 7]},
        }
        rest = text[pri.end() :]
        header = _RFC5424.match(rest)
        if header is not None and _looks_5424_time(header[2]):
            return self._rfc5424(syslog, header, rest[header.end() :])
        return self._rfc3164(syslog, rest)

    def _common_5424(self, text: str) -> dict[str, Any] | None:
        """The frame most senders write (rsyslog, logger, Docker's rfc5424): the same fields as
        ``_rfc5424`` at half the cost; None sends anything else down the general path."""
        match = _FAST_5424.match(text)
        if match is None:
            return None
        pri, version, second, fraction, hostname, appname, procid, msgid = match.groups()
        priority = int(pri)
        if priority > 191 or not self._valid_second(second):
            return None
        parts = self._priorities.get(pri)
        if parts is None:
            parts = self._priorities[pri] = (
                {"code": priority >> 3, "name": FACILITIES[priority >> 3]},
                {"code": priority & 7, "name": SEVERITIES[priority & 7]},
            )
        syslog: dict[str, Any] = {
            "priority": priority,
            "facility": parts[0],
            "severity": parts[1],
            "version": int(version),
        }
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        if fraction is None:
            fields["@timestamp"] = f"{second}.000Z"
        else:
            fields["@timestamp"] = f"{second}.{(fraction + '000')[:3]}Z"
            if len(fraction) > 3:  # more than milliseconds
                syslog["timestamp"] = f"{second}.{(fraction + '00000')[:6]}Z"
        message = text[match.end() :]
        if message.startswith(_BOM):
            message = message[1:]
        fields["message"] = message
        self._identity(fields, syslog, hostname, appname, procid)
        if msgid != "-":
            syslog["msgid"] = msgid
        return fields

    def _rfc5424(self, syslog: dict[str, Any], header: re.Match[str], rest: str) -> dict[str, Any] | None:
        version, stamp, hostname, appname, procid, msgid = header.groups()
        syslog["version"] = int(version)
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        if stamp == "-":
            fields["@timestamp"] = format_timestamp(self._now())
        elif _UTC_STAMP.fullmatch(stamp) and self._valid_second(stamp[:19]):  # the common case, cheaply
            fields["@timestamp"] = f"{stamp[:19]}.{(stamp[20:-1] + '000')[:3]}Z"
            if len(stamp) > 24:  # more than milliseconds
                syslog["timestamp"] = f"{stamp[:19]}.{(stamp[20:-1] + '00000')[:6]}Z"
        else:
            moment = _iso(stamp, self._tz)
            if moment is None:
                return None
            fields["@timestamp"] = format_timestamp(moment)
            _keep_micro(syslog, stamp, moment)
        if rest.startswith("-"):
            message = rest[2:] if rest.startswith("- ") else rest[1:]
        elif rest.startswith("["):
            parsed = _structured_data(rest)
            if parsed is None:
                return None
            elements, message, raw = parsed
            if elements:
                syslog["structured_data"] = elements
            if raw is not None:
                syslog["structured_data_raw"] = raw
                fields["tags"] = [TAG_SD_PARSE_FAILURE]
        else:
            return None
        if message.startswith(_BOM):
            message = message[1:]
        fields["message"] = message
        self._identity(fields, syslog, hostname, appname, procid)
        if msgid != "-":
            syslog["msgid"] = msgid
        return fields

    def _rfc3164(self, syslog: dict[str, Any], rest: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        stamp = _BSD_TIME.match(rest)
        if stamp is not None:
            fields["@timestamp"], micro = self._bsd_time(stamp.groups())
            if micro is not None:
                syslog["timestamp"] = micro
            rest = rest[stamp.end() :]
        elif (iso := _ISO_TIME.match(rest)) is not None and (moment := _iso(iso[1], self._tz)) is not None:
            fields["@timestamp"] = format_timestamp(moment)
            _keep_micro(syslog, iso[1], moment)
            rest = rest[iso.end() :]
        hostname = appname = procid = None
        tag = _TAG.match(rest)
        if tag is None and "@timestamp" in fields and (host := _HOSTNAME.match(rest)) is not None:
            # after a timestamp comes the hostname (unless the tag follows at once, as in Docker's
            # unix format); without a timestamp a first word is text, not a host
            hostname, rest = host[1], rest[host.end() :]
            tag = _TAG.match(rest)
        if tag is not None:
            appname, procid = tag[1], tag[2]
            rest = rest[tag.end() :]
        fields["message"] = rest
        fields.setdefault("@timestamp", format_timestamp(self._now()))
        self._identity(fields, syslog, hostname or "-", appname or "-", procid or "-")
        return fields

    def _identity(self, fields: dict[str, Any], syslog: dict[str, Any], host: str, app: str, procid: str) -> None:
        if host != "-":
            syslog["hostname"] = host
            fields["host"] = {"hostname": host}
        if app != "-":
            syslog["appname"] = app
            process: dict[str, Any] = {"name": app}
            if procid != "-" and procid.isdigit():
                process["pid"] = int(procid)
            fields["process"] = process
            try:
                container = self._containers[app]
            except KeyError:
                if len(self._containers) > 4096:
                    self._containers.clear()
                container = self._containers[app] = docker_container(app)
            if container:
                fields["container"] = container
        if procid != "-":
            syslog["procid"] = procid

    def _valid_second(self, second: str) -> bool:
        valid = self._seconds.get(second)
        if valid is None:
            if len(self._seconds) > 4096:
                self._seconds.clear()
            valid = self._seconds[second] = _iso(second, UTC) is not None
        return valid

    def _bsd_time(self, parts: tuple[str | Any, ...]) -> tuple[str, str | None]:
        """(``@timestamp``, the microsecond timestamp when the sender gave more than milliseconds)."""
        cached = self._bsd_cache.get(parts)
        if cached is not None:
            return cached
        month, day, year, hour, minute, second, fraction = parts
        micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
        number = _MONTHS[month[0].upper() + month[1:].lower()]
        now = self._now().astimezone(self._tz)
        try:
            if year:
                moment = datetime(int(year), number, int(day), int(hour), int(minute), int(second), micro)
                moment = moment.replace(tzinfo=self._tz)
            else:
                moment = nearest_year(number, int(day), now, time(int(hour), int(minute), int(second), micro))
        except ValueError:  # Feb 30, hour 25: the receive time rather than nothing
            return format_timestamp(now), None
        formatted = format_timestamp(moment), (_micro(moment) if fraction and len(fraction) > 4 else None)
        if not year:  # the inferred year depends on now: cache only within the day
            if len(self._bsd_cache) > 4096:
                self._bsd_cache.clear()
            self._bsd_cache[parts] = formatted
        return formatted


def _micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _keep_micro(syslog: dict[str, Any], stamp: str, moment: datetime) -> None:
    fraction = _FRACTION.search(stamp)
    if fraction is not None and len(fraction[1]) > 3:
        syslog["timestamp"] = _micro(moment)


def _looks_5424_time(stamp: str) -> bool:
    return stamp == "-" or (len(stamp) >= 19 and stamp[4] == "-" and stamp[10] == "T")


def _iso(text: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _structured_data(rest: str) -> tuple[dict[str, Any], str, str | None] | None:
    """``[id k="v" ...][id2 ...] MSG`` with ``\\"``, ``\\\\`` and ``\\]`` escapes in values.

    Returns (elements, message, the SD text when an element did not parse) or None when an element
    never ends. Repeated names keep every value, as lists (see the module docstring).
    """
    elements: dict[str, Any] = {}
    broken = False
    pos = 0
    while pos < len(rest) and rest[pos] == "[":
        params = _sd_element(rest, pos)
        if params is None:  # skip to the element's end, if it has one
            end = _sd_element_end(rest, pos)
            if end < 0:
                return None
            broken, pos = True, end
            continue
        sd_id, values, pos = params
        _add(elements, sd_id, values)
    message = rest[pos:]
    if message.startswith(" "):
        message = message[1:]
    elif message:
        return None
    return elements, message, (rest[:pos] if broken else None)


def _sd_element(rest: str, pos: int) -> tuple[str, dict[str, Any], int] | None:
    """The element at ``rest[pos] == '['``: (SD-ID, params, index after ``]``), None if malformed."""
    end_id = pos + 1
    while end_id < len(rest) and rest[end_id] not in ' ]="':
        end_id += 1
    sd_id = rest[pos + 1 : end_id]
    if not sd_id or end_id >= len(rest) or rest[end_id] in '="':
        return None
    params: dict[str, Any] = {}
    pos = end_id
    while rest.startswith(" ", pos):
        param = _SD_PARAM.match(rest, pos)
        if param is None:
            return None
        value = param[2]
        _add(params, param[1], _SD_ESCAPE.sub(r"\1", value) if "\\" in value else value)
        pos = param.end()
    if not rest.startswith("]", pos):
        return None
    return sd_id, params, pos + 1


def _sd_element_end(rest: str, pos: int) -> int:
    """Index after the ``]`` that closes the element at ``pos`` (quotes and escapes honoured), or -1."""
    quoted = False
    i = pos + 1
    while i < len(rest):
        c = rest[i]
        if c == "\\" and quoted:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "]" and not quoted:
            return i + 1
        i += 1
    return -1


def _add(into: dict[str, Any], key: str, value: Any) -> None:
    """``into[key] = value``, or a list of every value once the key repeats."""
    if key not in into:
        into[key] = value
    elif isinstance(into[key], list) and not isinstance(value, list):
        into[key].append(value)
    else:
        into[key] = [into[key], value]


def docker_container(tag: str) -> dict[str, Any] | None:
    """``container.id`` (and the name beside it) from Docker's tag: ``{{.ID}}``, ``{{.FullID}}``,
    ``{{.Name}}/{{.ID}}``, ``docker/{{.Name}}/{{.ID}}``; a tag without an id is only ``process.name``."""
    parts = tag.split("/")
    for i, part in enumerate(parts):
        if _HEX_ID.fullmatch(part):
            container: dict[str, Any] = {"id": part}
            names = [p for p in parts[:i] if p and p != "docker"]
            if names:
                container["name"] = names[-1]
            return container
    return None


__all__ = ["FACILITIES", "SEVERITIES", "SyslogParser", "docker_container"]
