"""The RFC 3164 header read the way rsyslog's ``pmrfc3164`` reads it (its default settings).

After the PRI (or without one: rsyslog then assumes ``<13>``, user.notice):

* **headerless**: spaces or tabs and then ``{`` or ``[`` (JSON, a bracketed line): no header at all.
* **TIMESTAMP**: RFC 3339 (``2026-11-23T06:00:00.123456+01:00``; a space separator and no offset are
  also read, in the input's ``timezone``) or BSD ``Mmm dd hh:mm:ss``: the month in any case
  (``AUG``), the day space-padded or not, a year before the time (``Mar  7 2008 19:06:53``,
  Cisco), a colon after the time (``19:06:53:``), one space before it (HP ProCurve). One space
  ends it. Sub-second digits after a BSD time are read too (an extension: rsyslog does not).
* **HOSTNAME**: after a timestamp, a word of ``[A-Za-z0-9._-]`` (at most 511) that ends in a
  letter or digit and is followed by a space; or such a word that is all that is left
  (``<14>Aug 30 23:00:05 X4711``). Anything else (``#001``, ``tag:``, ``name[42]``) is no hostname.
* **TAG**: the characters up to the first ``:`` or space, at most 510; a ``:`` right after it
  belongs to the TAG. So ``host tag This msg`` has TAG ``tag``, ``-- MARK --`` has TAG ``--``,
  and a space right after the hostname leaves the TAG empty. A tab or other control character
  does not end it (rsyslog escapes those before parsing, to ``#011``).
* **MSG**: the rest, without its first space (rsyslog keeps it; its ``remove.msgFirstSpace``
  option removes it, and an ECS ``message`` does not start with the separator).

``log.syslog.appname`` is rsyslog's ``programname``: the TAG up to its first ``[`` (or its ``:``);
``log.syslog.procid`` what the TAG holds between ``[`` and ``]``. Where grokpipe differs, and why:

* A ``/`` stays in the app name (``postfix/smtpd``, Docker's ``docker/web/3f4e5d6c7b8a``):
  rsyslog cuts at it unless ``global(parser.permitSlashInProgramName="on")``; Docker routing needs it.
* Without a timestamp the first word is not taken as the hostname, and is the TAG only when a
  ``:`` or a ``[pid]`` follows it: rsyslog reads ``<14>hello from Python`` as hostname ``hello``,
  TAG ``from``, but Python's ``SysLogHandler`` and Docker's unix format send exactly that shape,
  where the first word is text or ``app:``.
"""

from __future__ import annotations

import re

#: BSD time: month, day, year (optional), hour, minute, second, fraction (optional)
BSD_TIME = re.compile(
    r" ?((?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)) {1,2}(0?[1-9]|[12]\d|3[01])"
    r" (?:(19[7-9]\d|20\d\d) )?([01]?\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?:?(?: |\Z)"
)
ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?):?(?: |\Z)")
HEADERLESS = re.compile(r"[ \t]*[{\[]")
# rsyslog's hostname rule, then its TAG rule; the hostname alone when nothing follows it
_HOST_TAG = re.compile(r"(?:([A-Za-z0-9._-]{1,511})\Z|([A-Za-z0-9._-]{0,510}[A-Za-z0-9]) )?([^ :]{0,510}):?")
# without a timestamp: a TAG only when a colon ends it or a [pid] follows it
_UNTIMED_TAG = re.compile(r"([^\s\[\]:]{1,128})(\[[^\]\s]{1,64}\])?(?::|(?<=\])(?= |\Z))")


def host_and_tag(rest: str) -> tuple[str | None, str, str]:
    """(HOSTNAME or None, TAG without its colon, MSG) of what follows a timestamp."""
    match = _HOST_TAG.match(rest)
    assert match is not None  # every part of the pattern may be empty
    host = match[1] or match[2]
    message = rest[match.end() :]
    if message.startswith(" "):
        message = message[1:]
    return host, match[3], message


def untimed_tag(rest: str) -> tuple[str, str]:
    """(TAG or "", MSG) of a message without a timestamp."""
    match = _UNTIMED_TAG.match(rest)
    if match is None:
        return "", rest
    message = rest[match.end() :]
    if message.startswith(" "):
        message = message[1:]
    return match[1] + (match[2] or ""), message


def program(tag: str) -> tuple[str, str]:
    """(programname, the PROCID between ``[`` and ``]``) of a TAG; "" for what it does not hold."""
    name, bracket, after = tag.partition("[")
    if not bracket:
        return name, ""
    procid, closed, _ = after.partition("]")
    return name, (procid if closed else "")


__all__ = ["BSD_TIME", "HEADERLESS", "ISO_TIME", "host_and_tag", "program", "untimed_tag"]
