"""Syslog messages (RFC 5424, RFC 3164 as senders write it, Docker's formats) into ECS fields.

Senders disagree about RFC 3164, so the grammar here is the one seen in practice: a BSD timestamp
with a space-padded day and no year, or an ISO one (rsyslog's high-precision forwarding), or none at
all (Python's SysLogHandler, Docker's default unix format); a hostname or not; a tag with or without
``[pid]``. What has no ``<PRI>`` fits no grammar: it is kept whole and tagged, never dropped.

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
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from grokpipe.envelope import TAG_INVALID_UTF8, TAG_SYSLOG_PARSE_FAILURE, format_timestamp

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
_RFC5424 = re.compile(r"(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?")
_BSD_TIME = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2})(?: (\d{4}))? (\d\d):(\d\d):(\d\d)(\.\d+)? +"
)
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) +")
# TAG[PID]: -- a tag is what precedes the colon; it may hold '/', '.', '-' (docker/name, postfix/smtpd)
_TAG = re.compile(r"([^\s\[\]:]{1,128})(?:\[([^\]\s]{1,64})\])?: ?")
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
        self._bsd_cache: dict[tuple[str, ...], str] = {}
        self._seconds: dict[str, bool] = {}

    def parse(self, data: bytes) -> dict[str, Any]:
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
            fields["tags"] = tags
        return fields

    # -- grammars ----------------------------------------------------------------------------------

    def _parse(self, text: str) -> dict[str, Any] | None:
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
        if header is not None and header[1] != "0" and _looks_5424_time(header[2]):
            return self._rfc5424(syslog, header, rest[header.end() :])
        return self._rfc3164(syslog, rest)

    def _rfc5424(self, syslog: dict[str, Any], header: re.Match[str], rest: str) -> dict[str, Any] | None:
        version, stamp, hostname, appname, procid, msgid = header.groups()
        syslog["version"] = int(version)
        fields: dict[str, Any] = {"log": {"syslog": syslog}}
        if stamp == "-":
            fields["@timestamp"] = format_timestamp(self._now())
        elif _UTC_STAMP.fullmatch(stamp) and self._valid_second(stamp[:19]):  # the common case, cheaply
            fields["@timestamp"] = f"{stamp[:19]}.{(stamp[20:-1] + '000')[:3]}Z"
        else:
            moment = _iso(stamp, self._tz)
            if moment is None:
                return None
            fields["@timestamp"] = format_timestamp(moment)
        if rest.startswith("-"):
            message = rest[2:] if rest.startswith("- ") else rest[1:]
        elif rest.startswith("["):
            parsed = _structured_data(rest)
            if parsed is None:
                return None
            syslog["structured_data"], message = parsed
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
            fields["@timestamp"] = self._bsd_time(stamp.groups())
            rest = rest[stamp.end() :]
        elif (iso := _ISO_TIME.match(rest)) is not None and (moment := _iso(iso[1], self._tz)) is not None:
            fields["@timestamp"] = format_timestamp(moment)
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
            container = docker_container(app)
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

    def _bsd_time(self, parts: tuple[str | Any, ...]) -> str:
        cached = self._bsd_cache.get(parts)
        if cached is not None:
            return cached
        month, day, year, hour, minute, second, fraction = parts
        micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
        now = self._now().astimezone(self._tz)
        try:
            if year:
                moment = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), micro)
                moment = moment.replace(tzinfo=self._tz)
            else:
                moment = _nearest_year(now, _MONTHS[month], int(day), int(hour), int(minute), int(second), micro)
        except ValueError:  # Feb 30, hour 25: the receive time rather than nothing
            return format_timestamp(now)
        formatted = format_timestamp(moment)
        if not year:  # the inferred year depends on now: cache only within the day
            if len(self._bsd_cache) > 4096:
                self._bsd_cache.clear()
            self._bsd_cache[parts] = formatted
        return formatted


def _looks_5424_time(stamp: str) -> bool:
    return stamp == "-" or (len(stamp) >= 19 and stamp[4] == "-" and stamp[10] == "T")


def _iso(text: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _nearest_year(now: datetime, *when: int) -> datetime:
    """BSD timestamps have no year: take the one that puts the moment nearest to now (New Year)."""
    zone = now.tzinfo
    candidates = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            month, day, hour, minute, second, micro = when
            candidates.append(datetime(year, month, day, hour, minute, second, micro, tzinfo=zone))
        except ValueError:  # Feb 29 outside a leap year
            continue
    if not candidates:
        raise ValueError("no such day")
    return min(candidates, key=lambda moment: abs(moment - now) + (timedelta(0) if moment <= now else _FUTURE))


_FUTURE = timedelta(days=1)  # clocks drift: a moment slightly ahead is still this year, not last


def _structured_data(rest: str) -> tuple[dict[str, dict[str, str]], str] | None:
    """``[id k="v" ...][id2 ...] MSG`` with ``\\"``, ``\\\\`` and ``\\]`` escapes in values."""
    elements: dict[str, dict[str, str]] = {}
    pos = 0
    while pos < len(rest) and rest[pos] == "[":
        end_id = pos + 1
        while end_id < len(rest) and rest[end_id] not in " ]":
            end_id += 1
        sd_id = rest[pos + 1 : end_id]
        if not sd_id or end_id >= len(rest):
            return None
        params: dict[str, str] = {}
        pos = end_id
        while rest.startswith(" ", pos):
            param = _SD_PARAM.match(rest, pos)
            if param is None:
                return None
            params[param[1]] = _SD_ESCAPE.sub(r"\1", param[2])
            pos = param.end()
        if not rest.startswith("]", pos):
            return None
        elements[sd_id] = params
        pos += 1
    message = rest[pos:]
    if message.startswith(" "):
        message = message[1:]
    elif message:
        return None
    return elements, message


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
