"""Syslog messages (RFC 5424, RFC 3164 as rsyslog reads it, Docker's formats) into ECS fields.

A frame that starts ``<PRI>VERSION SP`` (VERSION: one to three digits, no leading zero) and a
timestamp or ``-`` is RFC 5424 (``rfc5424``: which rules it breaks, its structured data); anything
else is RFC 3164 read the way rsyslog's ``pmrfc3164`` reads it (``rfc3164``: timestamp, hostname,
TAG with or without a colon, and where grokpipe differs). Nothing is dropped:

* No ``<PRI>`` (``Feb 18 16:01:59 serverX -- MARK --``): rsyslog's default priority 13
  (user.notice), the rest read as RFC 3164, tagged ``syslog_no_pri``.
* An RFC 5424 frame that breaks the grammar (an APP-NAME of 60 characters, an unescaped ``]`` in a
  PARAM-VALUE, the same SD-ID twice, nine fraction digits) keeps every field it has, is tagged
  ``syslog_nonconformant``, and ``log.syslog.nonconformant`` lists the broken rules by their RFC 5424
  names. A frame that starts ``<PRI>VERSION SP`` but has no readable RFC 5424 header is read as
  RFC 3164 and tagged the same way, with the first rule it broke.
* A PRI that does not close or is over 191 (``<13``, ``<999>``): rsyslog does not parse it either;
  the frame is the message, tagged ``_syslogparsefailure``; so is a structured-data element that never
  ends (no ``]`` outside a quoted value: no telling SD from MSG).

Structured data is ``log.syslog.structured_data``: ``{SD-ID: {PARAM-NAME: value}}``. A PARAM-NAME
repeated inside an element (which RFC 5424 6.3.3 allows, e.g. ``[origin ip="192.0.2.1" ip="192.0.2.129"]``)
keeps all its values as a list in order; a repeated SD-ID (which 6.3.2 forbids) keeps both elements,
the SD-ID then holding a list of their parameter maps. An element that does not parse
(``[id eventSource= "Application"]``) does not cost the header: the elements that parse are kept, the
structured-data text as received goes to ``log.syslog.structured_data_raw`` and the event is tagged
``_sdparsefailure``.

``@timestamp`` has milliseconds (the envelope's contract, a ``date`` in every index); when the
sender's timestamp is more precise (RFC 5424 allows six fraction digits, ``.000003``),
``log.syslog.timestamp`` keeps it to the microsecond, in UTC (docs/syslog.md says why).

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

from grokpipe.envelope import (
    TAG_INVALID_UTF8,
    TAG_SD_PARSE_FAILURE,
    TAG_SYSLOG_NO_PRI,
    TAG_SYSLOG_NONCONFORMANT,
    TAG_SYSLOG_PARSE_FAILURE,
    format_timestamp,
)
from grokpipe.shipper.syslog import rfc3164, rfc5424
from grokpipe.timeutil import nearest_year

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")
DEFAULT_PRIORITY = 13  # user.notice, what rsyslog assumes for a message without <PRI>
_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_BOM = "\ufeff"

_PRI = re.compile(r"<(\d{1,3})>")
# the common conformant RFC 5424 frame (a UTC timestamp, no structured data) in one match; _rfc5424 does the rest
_FAST_5424 = re.compile(
    r"<([1-9]\d{0,2}|0)>([1-9]\d{0,2}) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z "
    r"([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) (?:- |-\Z)"
)
_RFC5424 = re.compile(r"([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+)(?: |\Z)")
_FRACTION = re.compile(r"\.(\d+)")
_UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")
_HEX_ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")


class SyslogParser:
    """Parses one message at a time; ``parse`` never raises."""

    def __init__(self, timezone: str = "UTC", now: Callable[[], datetime] | None = None) -> None:
        self._tz: tzinfo = UTC if timezone == "UTC" else ZoneInfo(timezone)
        self._now = now or (lambda: datetime.now(UTC))
        self._bsd_cache: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self._seconds: dict[str, bool] = {}
        self._priorities: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # shared, never mutated
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
        if pri is None:
            if text.startswith("<"):  # a PRI that does not close: rsyslog does not parse it either
                return None
            fields = self._rfc3164(self._syslog(DEFAULT_PRIORITY), text)
            _tag(fields, TAG_SYSLOG_NO_PRI)
            return fields
        priority = int(pri[1])
        if priority > 191:
            return None
        syslog = self._syslog(priority)
        rest = text[pri.end() :]
        header = _RFC5424.match(rest)
        if header is not None and (header[2] == "-" or header[2][:1].isdigit()):
            return self._rfc5424(syslog, pri[1], header, rest[header.end() :])
        fields = self._rfc3164(syslog, rest)
        broken = rfc5424.first_broken_rule(pri[1], rest)  # "<PRI>VERSION SP" and no readable RFC 5424 header
        if broken is not None:
            _nonconformant(fields, syslog, [broken])
        return fields

    def _syslog(self, priority: int) -> dict[str, Any]:
        parts = self._priorities.get(priority)
        if parts is None:
            parts = self._priorities[priority] = (
                {"code": priority >> 3, "name": FACILITIES[priority >> 3]},
                {"code": priority & 7, "name": SEVERITIES[priority & 7]},
            )
        return {"priority": priority, "facility": parts[0], "severity": parts[1]}

    def _common_5424(self, text: str) -> dict[str, Any] | None:
        """The frame most senders write (rsyslog, logger, Docker's rfc5424), conformant: the same fields
        as ``_rfc5424`` at half the cost; None sends anything else down the general path."""
        match = _FAST_5424.match(text)
        if match is None:
            return None
        pri, version, second, fraction, hostname, appname, procid, msgid = match.groups()
        priority = int(pri)
        if priority > 191 or not self._valid_second(second):
            return None
        parts = self._priorities.get(priority)
        if parts is None:  # _syslog inlined: most messages take this path
            self._syslog(priority)
            parts = self._priorities[priority]
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

    def _rfc5424(self, syslog: dict[str, Any], pri: str, header: re.Match[str], rest: str) -> dict[str, Any] | None:
        version, stamp, hostname, appname, procid, msgid = header.groups()
        syslog["version"] = int(version)
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        read = True
        if stamp == "-":
            fields["@timestamp"] = format_timestamp(self._now())
        elif _UTC_STAMP.fullmatch(stamp) and self._valid_second(stamp[:19]):  # the common case, cheaply
            fields["@timestamp"] = f"{stamp[:19]}.{(stamp[20:-1] + '000')[:3]}Z"
            if len(stamp) > 24:  # more than milliseconds
                syslog["timestamp"] = f"{stamp[:19]}.{(stamp[20:-1] + '00000')[:6]}Z"
        elif (moment := _iso(stamp, self._tz)) is not None:
            fields["@timestamp"] = format_timestamp(moment)
            _keep_micro(syslog, stamp, moment)
        else:  # no such time (Sep 31, 25:00): the receive time
            read = False
            fields["@timestamp"] = format_timestamp(self._now())
        conforms = stamp == "-" or (read and rfc5424.STRICT_TIME.fullmatch(stamp) is not None)
        broken = rfc5424.header_violations(pri, conforms, (hostname, appname, procid, msgid))
        if rest.startswith("-"):
            if len(rest) > 1 and rest[1] != " ":
                broken.append("STRUCTURED-DATA")
            message = rest[1:] if rest[1:2] != " " else rest[2:]
        elif rest.startswith("["):
            parsed = rfc5424.structured_data(rest)
            if parsed is None:
                return None
            elements, message, raw, sd_broken = parsed
            if elements:
                syslog["structured_data"] = elements
            if raw is not None:
                syslog["structured_data_raw"] = raw
                _tag(fields, TAG_SD_PARSE_FAILURE)
            broken += sd_broken
        else:  # neither "-" nor "[": there is no structured data to tell from the message
            broken.append("STRUCTURED-DATA")
            message = rest
        if message.startswith(_BOM):
            message = message[1:]
        fields["message"] = message
        self._identity(fields, syslog, hostname, appname, procid)
        if msgid != "-":
            syslog["msgid"] = msgid
        if broken:
            _nonconformant(fields, syslog, broken)
        return fields

    def _rfc3164(self, syslog: dict[str, Any], rest: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        timed = True
        stamp = rfc3164.BSD_TIME.match(rest)
        if stamp is not None:
            fields["@timestamp"], micro = self._bsd_time(stamp.groups())
            if micro is not None:
                syslog["timestamp"] = micro
            rest = rest[stamp.end() :]
        elif (iso := rfc3164.ISO_TIME.match(rest)) is not None and (moment := _iso(iso[1], self._tz)) is not None:
            fields["@timestamp"] = format_timestamp(moment)
            _keep_micro(syslog, iso[1], moment)
            rest = rest[iso.end() :]
        else:
            timed = False
            fields["@timestamp"] = format_timestamp(self._now())
        if not timed and rfc3164.HEADERLESS.match(rest):  # JSON or a bracketed line: no header
            hostname, tag, message = None, "", rest[1:] if rest.startswith(" ") else rest
        elif timed:
            hostname, tag, message = rfc3164.host_and_tag(rest)
        else:
            hostname = None
            tag, message = rfc3164.untimed_tag(rest)
        appname, procid = rfc3164.program(tag) if tag else ("", "")
        fields["message"] = message
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
        except ValueError:  # Feb 30, second 60: the receive time rather than nothing
            return format_timestamp(now), None
        formatted = format_timestamp(moment), (_micro(moment) if fraction and len(fraction) > 4 else None)
        if not year:  # the inferred year depends on now: cache only within the day
            if len(self._bsd_cache) > 4096:
                self._bsd_cache.clear()
            self._bsd_cache[parts] = formatted
        return formatted


def _tag(fields: dict[str, Any], tag: str) -> None:
    fields.setdefault("tags", []).append(tag)


def _nonconformant(fields: dict[str, Any], syslog: dict[str, Any], rules: list[str]) -> None:
    syslog["nonconformant"] = rules
    _tag(fields, TAG_SYSLOG_NONCONFORMANT)


def _micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _keep_micro(syslog: dict[str, Any], stamp: str, moment: datetime) -> None:
    fraction = _FRACTION.search(stamp)
    if fraction is not None and len(fraction[1]) > 3:
        syslog["timestamp"] = _micro(moment)


def _iso(text: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


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
