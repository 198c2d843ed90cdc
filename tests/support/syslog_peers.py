# ruff: noqa: E501 -- a table of the peers' messages, one case to a line as their files have them
"""Syslog messages with the fields two peers publish for them, and how far grokpipe's parser agrees.

Sources (each case names its file):

* rsyslog's testbench (github.com/rsyslog/rsyslog, ``tests/``): ``testsuites/*.parse1`` (a message
  and the line rsyslog writes for it with ``%PRI%,%syslogfacility-text%,%syslogseverity-text%,
  %timestamp%,%hostname%,%programname%,%syslogtag%,%msg%``), ``parsertest-parse1.sh`` (the same
  template over imtcp, every case in one file), ``parsertest-parse2.sh``/``-parse3.sh``,
  ``pmrfc3164-msgFirstSpace.sh``, ``pmrfc3164-AtSignsInHostname_off.sh``, ``pmrfc3164-json.sh``,
  ``rfc5424parser-sp_at_msg_start.sh``, ``hostname-with-slash-dflt-slash-valid.sh``. Only settings at
  their defaults are used (``force.tagEndingByColon`` cases are not). Where rsyslog writes its own
  hostname (no hostname in the message), the expectation is ``None``. rsyslog escapes control
  characters on receive (a tab becomes ``#011``): those cases carry the tab itself.
* influxdata/go-syslog's RFC 5424 machine tests (``rfc5424/machine_test.go``): a strict parser's
  valid messages with their fields, and invalid ones with the error it gives; its generated cases
  (every prefix of an incomplete timestamp; field lengths up to the maximum, here at the edges).

Comparisons, and the two normalisations they make:

* rsyslog RFC 3164: PRI, hostname, programname (grokpipe's ``appname``; a ``/`` is kept, see
  ``rfc3164``), the PROCID in the TAG's ``[...]``, the BSD timestamp, and MSG without its first
  space: rsyslog's MSG keeps the space after the TAG; grokpipe's ``message`` drops it, which is
  what rsyslog's own ``remove.msgFirstSpace="on"`` does (``pmrfc3164-msgFirstSpace.sh`` is that).
* rsyslog RFC 5424: PRI, hostname, programname (APP-NAME), PROCID, MSG (exactly: its RFC 5424
  parser keeps a second space, as grokpipe does).
* RFC 5424 valid: PRI, VERSION, the timestamp's instant (``@timestamp`` to the millisecond,
  ``log.syslog.timestamp`` to the microsecond), HOSTNAME, APP-NAME, PROCID, MSGID, structured data,
  MSG; a BOM at the start of MSG is dropped by grokpipe (it only says "UTF-8"), so it is compared
  without it. A valid message must carry none of grokpipe's failure or nonconformance tags.
* RFC 5424 invalid: the peer refuses the message. grokpipe keeps it and agrees when it flags it:
  ``syslog_nonconformant`` with the rule the peer names in ``log.syslog.nonconformant``, or
  ``invalid_utf8`` for a MSG that is not UTF-8, or ``_syslogparsefailure`` (kept whole). Where the
  peer fails before a VERSION (no ``<PRI>``, no version), the message is not RFC 5424 at all:
  grokpipe agrees when it reads it as RFC 3164 (no ``log.syslog.version``), as rsyslog does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RSYSLOG_BSD = "rsyslog RFC 3164"
RSYSLOG_5424 = "rsyslog RFC 5424"
VALID = "RFC 5424 valid"
INVALID = "RFC 5424 invalid"
GROUPS = (RSYSLOG_BSD, RSYSLOG_5424, VALID, INVALID)

FLAGS = {"syslog_nonconformant", "_syslogparsefailure", "_sdparsefailure", "invalid_utf8"}


@dataclass(frozen=True)
class Case:
    group: str
    source: str
    frame: bytes
    expect: dict[str, Any] = field(default_factory=dict)
    differs: str = ""  # where grokpipe knowingly reads it otherwise, and why

    @property
    def name(self) -> str:
        text = self.frame[:60].decode(errors="replace").encode("unicode_escape").decode()
        return f"{self.group}: {text}"


def rs(source: str, frame: bytes | str, pri: int, ts: str, host: str | None, program: str, tag: str, msg: str) -> Case:
    """An rsyslog case: its template's fields, as the testbench file states them."""
    data = frame.encode() if isinstance(frame, str) else frame
    expect = {"pri": pri, "ts": ts, "host": host, "program": program, "tag": tag, "msg": msg}
    group = RSYSLOG_5424 if _is_5424(data) else RSYSLOG_BSD
    return Case(group, "rsyslog tests/" + source, data, expect)


def _is_5424(frame: bytes) -> bool:
    head = frame.split(b">", 1)
    return frame.startswith(b"<") and len(head) == 2 and head[1][:2] == b"1 "


def gs(frame: bytes | str, **expect: Any) -> Case:
    """A valid go-syslog case: pri, version, ts, host, app, procid, msgid, sd, msg (absent: nil)."""
    data = frame.encode() if isinstance(frame, str) else frame
    return Case(VALID, "influxdata/go-syslog rfc5424/machine_test.go", data, expect)


def bad(frame: bytes | str, rule: str, peer: str = "") -> Case:
    """An invalid go-syslog case: the RFC 5424 rule the peer's error names (VERSION and PRI-before-
    VERSION errors: the message is not RFC 5424 at all)."""
    data = frame.encode() if isinstance(frame, str) else frame
    return Case(INVALID, "influxdata/go-syslog rfc5424/machine_test.go", data, {"rule": rule, "peer": peer})


A = "abcdefghilmnopqrstuvz" * 13  # go-syslog's filler for long fields


def run(n: int) -> str:
    return A[:n]


SNARE = "MSWinEventLog\t1\tSecurity\t{n}\tWed"
SNARE_MSG = "Mar 10 09:30:{s} 2010\t{eid}\tSecurity\t{user}\tUser\tSuccess Audit\tZUSE\tLogon/Logoff\t\t{text}\t{seq}"


def _snare(n: int, sec: str, eid: int, user: str, text: str, seq: int, *, pri: bool = True) -> Case:
    tag = SNARE.format(n=n)
    msg = SNARE_MSG.format(s=sec, eid=eid, user=user, text=text, seq=seq)
    head = "<141>" if pri else ""
    stamp = "Mar 10 09:30:20" if n < 566 else "Mar 10 09:30:25"
    return rs("testsuites/snare.parse1", f"{head}{stamp} zuse.xysystems.local {tag} {msg}", 141 if pri else 13,
              stamp, "zuse.xysystems.local", tag, tag, " " + msg)  # fmt: skip


LOGOFF = "User Logoff:     User Name: {u}     Domain: {d}     Logon ID: (0x0,0x{id})     Logon Type: 3    "
NETWORK_LOGON = (
    "Successful Network Logon:     User Name: {u}     Domain: {d}     Logon ID: (0x0,0x{id})     Logon Type: 3     "
    "Logon Process: Kerberos     Authentication Package: Kerberos     Workstation Name:      Logon GUID: {{{guid}}}     "
    "Caller User Name: -     Caller Domain: -     Caller Logon ID: -     Caller Process ID: -     Transited Services: -"
    "     Source Network Address: {addr}     Source Port: {port}    "
)

CASES: list[Case] = [
    # -- rsyslog, RFC 3164 ---------------------------------------------------------------------------
    rs("testsuites/1.parse1", "<167>Mar  6 16:57:54 172.20.245.8 %PIX-7-710005: UDP request discarded from SERVER1/2741 to test_app:255.255.255.255/61601",
       167, "Mar  6 16:57:54", "172.20.245.8", "%PIX-7-710005", "%PIX-7-710005:",
       " UDP request discarded from SERVER1/2741 to test_app:255.255.255.255/61601"),
    rs("testsuites/2.parse1", "<38>Mar 27 19:06:53 source_server sshd(pam_unix)[12750]: session opened for user foo by (uid=0)",
       38, "Mar 27 19:06:53", "source_server", "sshd(pam_unix)", "sshd(pam_unix)[12750]:", " session opened for user foo by (uid=0)"),
    rs("testsuites/3.parse1", "<38>Apr  6 15:07:10 lxcvs07 sshd(pam_unix)[31738]: session closed for user cvsadmin",
       38, "Apr  6 15:07:10", "lxcvs07", "sshd(pam_unix)", "sshd(pam_unix)[31738]:", " session closed for user cvsadmin"),
    rs("testsuites/4.parse1", "<29>Jul 31 21:39:21 example-b example-gw[10538]: disconnect host=/192.0.2.1 destination=192.0.2.2/11282 in=3274 out=1448 duration=0",
       29, "Jul 31 21:39:21", "example-b", "example-gw", "example-gw[10538]:",
       " disconnect host=/192.0.2.1 destination=192.0.2.2/11282 in=3274 out=1448 duration=0"),
    rs("testsuites/8bit.parse1", "<6>AUG 10 22:18:24 host tag This msg contains 8-bit European chars: äöü",
       6, "Aug 10 22:18:24", "host", "tag", "tag", " This msg contains 8-bit European chars: äöü"),
    rs("testsuites/date1.parse1", "<38> Mar  7 19:06:53 example tag: testmessage (only date actually tested)",
       38, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("testsuites/date2.parse1", "<38>Mar 7 19:06:53 example tag: testmessage (only date actually tested)",
       38, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("testsuites/date3.parse1", "<38>Mar 7 2008 19:06:53: example tag: testmessage (only date actually tested)",
       38, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("testsuites/date4.parse1", "<38>Mar 7 2008 19:06:53 example tag: testmessage (only date actually tested)",
       38, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("testsuites/date5.parse1", "<38>Mar 7 19:06:53: example tag: testmessage (only date actually tested)",
       38, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("testsuites/empty.parse1", "<14>Jan  6 2009 15:22:26 localhost ", 14, "Jan  6 15:22:26", "localhost", "", "", ""),
    rs("testsuites/malformed1.parse1", '<131>Oct  8 23:05:06 10.321.1.123 05",result_code=200,b',
       131, "Oct  8 23:05:06", "10.321.1.123", '05",result_code=200,b', '05",result_code=200,b', ""),
    rs("testsuites/mark.parse1", "<6>Feb 18 16:01:59 serverX -- MARK --", 6, "Feb 18 16:01:59", "serverX", "--", "--", " MARK --"),
    rs("testsuites/mark.parse1", "Feb 18 16:01:59 serverX -- MARK --", 13, "Feb 18 16:01:59", "serverX", "--", "--", " MARK --"),
    rs("testsuites/oversizeTag-1.parse1", "<38>Mar 27 19:06:53 source_server 0123456780123456780123456780123456789: MSG part",
       38, "Mar 27 19:06:53", "source_server", "0123456780123456780123456780123456789",
       "0123456780123456780123456780123456789:", " MSG part"),
    rs("testsuites/reallife.parse1", "<29>Oct 16 20:47:24 example-p exam-pl[12345]: connect host= /192.0.2.1",
       29, "Oct 16 20:47:24", "example-p", "exam-pl", "exam-pl[12345]:", " connect host= /192.0.2.1"),
    rs("testsuites/reallife.parse1", "<175>Oct 16 23:47:31 #001 MSWinEventLog 0#011Security#01119023582#011Fri Oct 16 16:30:44 2009#011592#011Security#011rgabcde#011User#011Success Audit#011XSXSXSN01#011Detailed Tracking#011#0112572#01119013885",
       175, "Oct 16 23:47:31", None, "#001", "#001",
       " MSWinEventLog 0#011Security#01119023582#011Fri Oct 16 16:30:44 2009#011592#011Security#011rgabcde#011User"
       "#011Success Audit#011XSXSXSN01#011Detailed Tracking#011#0112572#01119013885"),
    rs("testsuites/rfc3164.parse1", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
       34, "Oct 11 22:14:15", "mymachine", "su", "su:", " 'su root' failed for lonvick on /dev/pts/8"),
    rs("testsuites/upcase-date.parse1", "<6>AUG 10 22:18:24 2009  netips-warden2-p [audit] user=[*SMS] src=192.168.11.11 iface=5 access=9 Update State Reset",
       6, "Aug 10 22:18:24", "2009", "", "", " netips-warden2-p [audit] user=[*SMS] src=192.168.11.11 iface=5 access=9 Update State Reset"),
    rs("testsuites/weird.parse1", "<14>Aug 30 23:00:05 X4711 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
       14, "Aug 30 23:00:05", "X4711", "A" * 46, "A" * 46, ""),
    rs("testsuites/weird.parse1", "<14>Aug 30 23:00:05 X4711 ", 14, "Aug 30 23:00:05", "X4711", "", "", ""),
    rs("testsuites/weird.parse1", "<14>Aug 30 23:00:05 X4711", 14, "Aug 30 23:00:05", "X4711", "", "", ""),
    rs("testsuites/weird.parse1", "<14>Aug 30 23:00:05 ", 14, "Aug 30 23:00:05", None, "", "", ""),
    rs("testsuites/weird.parse1", "<14>Aug 30 23:00:05", 14, "Aug 30 23:00:05", None, "", "", ""),
    rs("testsuites/weird.parse1", "<14>2010-08-30T23:00:05Z X4711 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
       14, "Aug 30 23:00:05", "X4711", "A" * 46, "A" * 46, ""),
    rs("testsuites/weird.parse1", "<14>2010-08-30T23:00:05Z X4711 ", 14, "Aug 30 23:00:05", "X4711", "", "", ""),
    rs("testsuites/weird.parse1", "<14>2010-08-30T23:00:05Z X4711", 14, "Aug 30 23:00:05", "X4711", "", "", ""),
    rs("testsuites/weird.parse1", "<14>2010-08-30T23:00:05Z ", 14, "Aug 30 23:00:05", None, "", "", ""),
    rs("testsuites/weird.parse1", "<14>2010-08-30T23:00:05Z", 14, "Aug 30 23:00:05", None, "", "", ""),
    # parsertest-parse1.sh: the same messages at another PRI over imtcp, and ones no .parse1 file has
    rs("parsertest-parse1.sh", "<167>Mar 27 19:06:53 source_server sshd(pam_unix)[12750]: session opened for user foo by (uid=0)",
       167, "Mar 27 19:06:53", "source_server", "sshd(pam_unix)", "sshd(pam_unix)[12750]:", " session opened for user foo by (uid=0)"),
    rs("parsertest-parse1.sh", "<167>AUG 10 22:18:24 host tag This msg contains 8-bit European chars: äöü",
       167, "Aug 10 22:18:24", "host", "tag", "tag", " This msg contains 8-bit European chars: äöü"),
    rs("parsertest-parse1.sh", "<167> Mar  7 19:06:53 example tag: testmessage (only date actually tested)",
       167, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("parsertest-parse1.sh", "<167>Mar 7 2008 19:06:53: example tag: testmessage (only date actually tested)",
       167, "Mar  7 19:06:53", "example", "tag", "tag:", " testmessage (only date actually tested)"),
    rs("parsertest-parse1.sh", "<14>Jan  6 2009 15:22:26 localhost", 14, "Jan  6 15:22:26", "localhost", "", "", ""),
    rs("parsertest-parse1.sh", '<167>Oct  8 23:05:06 10.321.1.123 05\\",result_code=200,b',
       167, "Oct  8 23:05:06", "10.321.1.123", '05\\",result_code=200,b', '05\\",result_code=200,b', ""),
    rs("parsertest-parse1.sh", "<167>Feb 18 16:01:59 serverX -- MARK --", 167, "Feb 18 16:01:59", "serverX", "--", "--", " MARK --"),
    rs("parsertest-parse1.sh", "<38>Mar 27 19:06:53 source_server 0123456789012345678901234567890123456789: MSG part",
       38, "Mar 27 19:06:53", "source_server", "0123456789012345678901234567890123456789",
       "0123456789012345678901234567890123456789:", " MSG part"),
    rs("parsertest-parse1.sh", "<34>Oct 11 22:14:15 mymachine su: su root failed for lonvick on /dev/pts/8",
       34, "Oct 11 22:14:15", "mymachine", "su", "su:", " su root failed for lonvick on /dev/pts/8"),
    rs("parsertest-parse2.sh", "<175>Oct 16 23:47:31 #001 MSWinEventLog 0#011Security#01119023582#011Fri Oct 16 16:30:44 2009",
       175, "Oct 16 23:47:31", None, "#001", "#001", " MSWinEventLog 0#011Security#01119023582#011Fri Oct 16 16:30:44 2009"),
    rs("parsertest-parse3.sh", "<175>Oct 16 2009 23:47:31 hostname tag This is a message",
       175, "Oct 16 23:47:31", "hostname", "tag", "tag", " This is a message"),
    rs("parsertest-parse3.sh", "<175>Oct 16 2009 23:47:31 hostname tag[1234] This is a message",
       175, "Oct 16 23:47:31", "hostname", "tag", "tag[1234]", " This is a message"),
    rs("pmrfc3164-msgFirstSpace.sh", "<129>Mar 10 01:00:00 172.20.245.8 tag: msgnum:1",
       129, "Mar 10 01:00:00", "172.20.245.8", "tag", "tag:", " msgnum:1"),
    rs("pmrfc3164-msgFirstSpace.sh", "<129>Mar 10 01:00:00 172.20.245.8 tag:  msgnum:2",
       129, "Mar 10 01:00:00", "172.20.245.8", "tag", "tag:", "  msgnum:2"),
    rs("pmrfc3164-msgFirstSpace.sh", "<129>Mar 10 01:00:00 172.20.245.8 tag:msgnum:3",
       129, "Mar 10 01:00:00", "172.20.245.8", "tag", "tag:", "msgnum:3"),
    rs("pmrfc3164-msgFirstSpace.sh", "<129>Mar 10 01:00:00 172.20.245.8 tag4:",
       129, "Mar 10 01:00:00", "172.20.245.8", "tag4", "tag4:", ""),
    rs("pmrfc3164-AtSignsInHostname_off.sh", "<129>Mar 10 01:00:00 Hostname1 tag: msgnum:1",
       129, "Mar 10 01:00:00", "Hostname1", "tag", "tag:", " msgnum:1"),
    rs("pmrfc3164-AtSignsInHostname_off.sh", "<129>Mar 10 01:00:00 Hostname3 tag:msgnum:3",
       129, "Mar 10 01:00:00", "Hostname3", "tag", "tag:", "msgnum:3"),
    rs("pmrfc3164-json.sh", '{ "c1":1 }', 13, "", None, "", "", '{ "c1":1 }'),
    rs("pmrfc3164-json.sh", '   { "c2":2 }', 13, "", None, "", "", '   { "c2":2 }'),
    rs("pmrfc3164-json.sh", '   [{ "c3":3 }]', 13, "", None, "", "", '   [{ "c3":3 }]'),
    _snare(563, "15", 538, "XYWS011$", LOGOFF.format(u="XYWS011$", d="XYZSYSTEMS", id="5984789C"), 552),
    _snare(564, "19", 540, "BACKUP1$", NETWORK_LOGON.format(u="BACKUP1$", d="XYZSYSTEMS", id="59848DB4",
           guid="f6f65903-1932-d229-4b75-64816121d569", addr="172.16.0.31", port=0), 553, pri=False),
    _snare(567, "21", 538, "aadminps", LOGOFF.format(u="aadminps", d="XYSYSTEMS", id="5984973C"), 556),
    _snare(569, "25", 540, "SYSTEM", NETWORK_LOGON.format(u="ZUSE$", d="XYSYSTEMS", id="5984ACA7",
           guid="20014d9a-ce6c-6834-d1ed-607c08f0b6a7", addr="172.16.0.15", port=2318), 558),
    _snare(570, "25", 538, "SYSTEM", LOGOFF.format(u="ZUSE$", d="XYSYSTEMS", id="5984ACA7"), 559),
    _snare(572, "25", 538, "SYSTEM", LOGOFF.format(u="ZUSE$", d="XYSYSTEMS", id="5984AD7C"), 561),
    _snare(576, "25", 538, "SYSTEM", LOGOFF.format(u="ZUSE$", d="XYSYSTEMS", id="5984AE49"), 565),
    # -- rsyslog, RFC 5424 ---------------------------------------------------------------------------
    rs("parsertest-parse1.sh", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOMsu root failed for lonvick on /dev/pts/8",
       34, "", "mymachine.example.com", "su", "su", "BOMsu root failed for lonvick on /dev/pts/8"),
    rs("parsertest-parse1.sh", "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Its time to make the do-nuts.",
       165, "", "192.0.2.1", "myproc", "myproc[8710]", "%% Its time to make the do-nuts."),
    rs("parsertest-parse1.sh", '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource= "Application" eventID="1011"][examplePriority@32473 class="high"]',
       165, "", "mymachine.example.com", "evntslog", "evntslog", ""),
    rs("parsertest-parse1.sh", '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource= "Application" eventID="1011"] BOMAn application event log entry...',
       165, "", "mymachine.example.com", "evntslog", "evntslog", "BOMAn application event log entry..."),
    rs("rfc5424parser-sp_at_msg_start.sh", "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - - nosd-nosp",
       13, "", "domain.tld", "tag", "tag", "nosd-nosp"),
    rs("rfc5424parser-sp_at_msg_start.sh", '<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - [abc@123 a="b"] sd-nosp',
       13, "", "domain.tld", "tag", "tag", "sd-nosp"),
    rs("rfc5424parser-sp_at_msg_start.sh", "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - -  nosd-sp",
       13, "", "domain.tld", "tag", "tag", " nosd-sp"),
    rs("rfc5424parser-sp_at_msg_start.sh", '<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - [abc@123 a="b"]  sd-sp',
       13, "", "domain.tld", "tag", "tag", " sd-sp"),
    rs("hostname-with-slash-dflt-slash-valid.sh", '<167>1 2003-03-01T01:00:00.000Z hostname1/hostname2 tcpflood - tag [tcpflood@32473 MSGNUM="0"] data',
       167, "", "hostname1/hostname2", "tcpflood", "tcpflood", "data"),
    # -- go-syslog, valid RFC 5424 -------------------------------------------------------------------
    gs("<1>1 - - - - - -", pri=1, version=1),
    gs("<0>1 - - - - - -", pri=0, version=1),
    gs('<29>1 2016-02-21T04:32:57+00:00 web1 someservice - - [origin x-service="someservice"][meta sequenceId="14125553"] 127.0.0.1 - - 1456029177 "GET /v1/ok HTTP/1.1" 200 145 "-" "hacheck 0.9.0" 24306 127.0.0.1:40124 575',
       pri=29, version=1, ts="2016-02-21T04:32:57+00:00", host="web1", app="someservice",
       sd={"origin": {"x-service": "someservice"}, "meta": {"sequenceId": "14125553"}},
       msg='127.0.0.1 - - 1456029177 "GET /v1/ok HTTP/1.1" 200 145 "-" "hacheck 0.9.0" 24306 127.0.0.1:40124 575'),
    gs("<1>100 - host-name - - - -", pri=1, version=100, host="host-name"),
    gs("<1>101 - host-name app-name - - -", pri=1, version=101, host="host-name", app="app-name"),
    gs("<1>102 - host-name app-name proc-id - -", pri=1, version=102, host="host-name", app="app-name", procid="proc-id"),
    gs("<1>103 - host-name app-name proc-id msg-id -", pri=1, version=103, host="host-name", app="app-name",
       procid="proc-id", msgid="msg-id"),
    gs(f"<191>999 2018-12-31T23:59:59.999999-23:59 {run(255)} {run(48)} {run(128)} {run(32)} -", pri=191, version=999,
       ts="2018-12-31T23:59:59.999999-23:59", host=run(255), app=run(48), procid=run(128), msgid=run(32)),
    gs(f'<191>999 2018-12-31T23:59:59.999999-23:59 {run(255)} {run(48)} {run(128)} {run(32)} [an@id key1="val1" key2="val2"][another@id key1="val1"] Some message "GET"',
       pri=191, version=999, ts="2018-12-31T23:59:59.999999-23:59", host=run(255), app=run(48), procid=run(128),
       msgid=run(32), sd={"an@id": {"key1": "val1", "key2": "val2"}, "another@id": {"key1": "val1"}},
       msg='Some message "GET"'),
    gs("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for lonvick on /dev/pts/8",
       pri=34, version=1, ts="2003-10-11T22:14:15.003Z", host="mymachine.example.com", app="su", msgid="ID47",
       msg="BOM'su root' failed for lonvick on /dev/pts/8"),
    gs("<187>222 - mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8", pri=187, version=222,
       host="mymachine.example.com", app="su", msgid="ID47", msg="'su root' failed for lonvick on /dev/pts/8"),
    gs("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Time to make the do-nuts.", pri=165,
       version=1, ts="2003-08-24T05:14:15.000003-07:00", host="192.0.2.1", app="myproc", procid="8710",
       msg="%% Time to make the do-nuts."),
    gs("<165>2 2003-08-24T05:14:15.000003-07:00 - - - - -", pri=165, version=2, ts="2003-08-24T05:14:15.000003-07:00"),
    gs("<165>222 2003-08-24T05:14:15.000003-07:00 - - - - - ", pri=165, version=222, ts="2003-08-24T05:14:15.000003-07:00"),
    gs("<78>1 2016-01-15T00:04:01+00:00 host1 CROND 10391 - [sdid] some_message", pri=78, version=1,
       ts="2016-01-15T00:04:01+00:00", host="host1", app="CROND", procid="10391", sd={"sdid": {}}, msg="some_message"),
    gs('<78>1 2016-01-15T00:04:01+00:00 host1 CROND 10391 - [sdid x="⌘"] some_message', pri=78, version=1,
       ts="2016-01-15T00:04:01+00:00", host="host1", app="CROND", procid="10391", sd={"sdid": {"x": "⌘"}},
       msg="some_message"),
    gs('<78>2 2016-01-15T00:04:01+00:00 host1 CROND 10391 - [sdid x="hey \\\\u2318 hey"] some_message', pri=78,
       version=2, ts="2016-01-15T00:04:01+00:00", host="host1", app="CROND", procid="10391",
       sd={"sdid": {"x": "hey \\u2318 hey"}}, msg="some_message"),
    gs('<29>50 2016-01-15T01:00:43Z hn S - - [meta es="\\\\valid"] 127.0.0.1 - - 1452819643 "GET"', pri=29, version=50,
       ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"es": "\\valid"}}, msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>52 2016-01-15T01:00:43Z hn S - - [meta one="\\\\one" two="\\\\two"] 127.0.0.1 - - 1452819643 "GET"', pri=29,
       version=52, ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"one": "\\one", "two": "\\two"}},
       msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>53 2016-01-15T01:00:43Z hn S - - [meta one="\\\\one"][other two="\\\\two" double="\\\\a\\\\b"] 127.0.0.1 - - 1452819643 "GET"',
       pri=29, version=53, ts="2016-01-15T01:00:43Z", host="hn", app="S",
       sd={"meta": {"one": "\\one"}, "other": {"two": "\\two", "double": "\\a\\b"}}, msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>51 2016-01-15T01:00:43Z hn S - - [meta es="\\\\double\\\\slash"] 127.0.0.1 - - 1452819643 "GET"', pri=29,
       version=51, ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"es": "\\double\\slash"}},
       msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>54 2016-01-15T01:00:43Z hn S - - [meta es="in \\\\middle of the string"] 127.0.0.1 - - 1452819643 "GET"',
       pri=29, version=54, ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"es": "in \\middle of the string"}},
       msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>55 2016-01-15T01:00:43Z hn S - - [meta es="at the \\\\end"] 127.0.0.1 - - 1452819643 "GET"', pri=29,
       version=55, ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"es": "at the \\end"}},
       msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>50 2016-01-15T01:00:43Z hn S - - [meta es="\t5Ὂg̀9!℃ᾭGa b"] 127.0.0.1 - - 1452819643 "GET"', pri=29,
       version=50, ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"es": "\t5Ὂg̀9!℃ᾭGa b"}},
       msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<29>50 2016-01-15T01:00:43Z hn S - - [meta gr="κόσμε" es="ñ"][beta pr="₡"] 𐌼 "GET"', pri=29, version=50,
       ts="2016-01-15T01:00:43Z", host="hn", app="S", sd={"meta": {"gr": "κόσμε", "es": "ñ"}, "beta": {"pr": "₡"}},
       msg='𐌼 "GET"'),
    gs('<165>3 2003-10-11T22:14:15.003Z example.com evnts - ID27 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
       pri=165, version=3, ts="2003-10-11T22:14:15.003Z", host="example.com", app="evnts", msgid="ID27",
       sd={"exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
           "examplePriority@32473": {"class": "high"}}),
    gs('<165>4 2003-10-11T22:14:15.003Z mymachine.it e - 1 [ex@32473 iut="3" eventSource="A"] An application event log entry...',
       pri=165, version=4, ts="2003-10-11T22:14:15.003Z", host="mymachine.it", app="e", msgid="1",
       sd={"ex@32473": {"iut": "3", "eventSource": "A"}}, msg="An application event log entry..."),
    gs('<29>1 2016-01-15T01:00:43Z some-host-name SEKRETPROGRAM prg - [origin x-service="svcname"][meta sequenceId="1"] 127.0.0.1 - - 1452819643 "GET"',
       pri=29, version=1, ts="2016-01-15T01:00:43Z", host="some-host-name", app="SEKRETPROGRAM", procid="prg",
       sd={"origin": {"x-service": "svcname"}, "meta": {"sequenceId": "1"}}, msg='127.0.0.1 - - 1452819643 "GET"'),
    gs('<1>1 - - - - - [id pk=""]', pri=1, version=1, sd={"id": {"pk": ""}}),
    gs('<29>2 2016-01-15T01:00:43Z some-host-name SEKRETPROGRAM prg - [meta escape="\\]"] some "mex"', pri=29, version=2,
       ts="2016-01-15T01:00:43Z", host="some-host-name", app="SEKRETPROGRAM", procid="prg", sd={"meta": {"escape": "]"}},
       msg='some "mex"'),
    gs('<29>2 2016-01-15T01:00:43Z some-host-name SEKRETPROGRAM prg - [meta escape="\\\\"]', pri=29, version=2,
       ts="2016-01-15T01:00:43Z", host="some-host-name", app="SEKRETPROGRAM", procid="prg", sd={"meta": {"escape": "\\"}}),
    gs('<29>2 2016-01-15T01:00:43Z some-host-name SEKRETPROGRAM prg - [meta escape="\\""]', pri=29, version=2,
       ts="2016-01-15T01:00:43Z", host="some-host-name", app="SEKRETPROGRAM", procid="prg", sd={"meta": {"escape": '"'}}),
    gs('<29>2 2016-01-15T01:00:43Z some-host-name SEKRETPROGRAM prg - [meta escape="\\]\\"\\\\\\\\\\]\\""]', pri=29,
       version=2, ts="2016-01-15T01:00:43Z", host="some-host-name", app="SEKRETPROGRAM", procid="prg",
       sd={"meta": {"escape": ']"\\\\]"'}}),
    gs(b"<1>1 - - - - - - \xef\xbb\xbf", pri=1, version=1, msg="\ufeff"),
    gs("<1>1 - - - - - - κόσμε", pri=1, version=1, msg="κόσμε"),
    gs("<1>1 - - - - - - ", pri=1, version=1, msg=""),
    gs(b"<1>1 - - - - - - \xc3\xb1", pri=1, version=1, msg="ñ"),
    gs(b"<1>1 - - - - - - \xe2\x82\xa1", pri=1, version=1, msg="₡"),
    gs(b"<1>1 - - - - - - \xef\xbb\xbf \xf0\x90\x8c\xbc", pri=1, version=1, msg="\ufeff 𐌼"),
    gs(b"<1>1 - - - - - - \xc8\x80\x30\x30\x30", pri=1, version=1, msg="Ȁ000"),
    gs(b"<1>1 - - - - - - \xe4\x80\x80\x30\x30\x30", pri=1, version=1, msg="䀀000"),
    gs(b"<1>1 - - - - - - \xc4\x90\x30\x30\x30", pri=1, version=1, msg="Đ000"),
    gs(b"<1>1 - - - - - - \x0d\x37\x46\x46", pri=1, version=1, msg="\r7FF"),
    gs("<1>1 - - - - - - Sôn bôn de magnà el véder, el me fa minga mal.", pri=1, version=1,
       msg="Sôn bôn de magnà el véder, el me fa minga mal."),
    gs("<1>1 - - - - - - Me posso magna' er vetro, e nun me fa male.", pri=1, version=1,
       msg="Me posso magna' er vetro, e nun me fa male."),
    gs("<1>1 - - - - - - ⠊⠀⠉⠁⠝⠀⠑⠁⠞⠀⠛⠇⠁⠎⠎⠀⠁⠝⠙⠀⠊⠞⠀⠙⠕⠑⠎⠝⠞⠀⠓⠥⠗⠞⠀⠍⠑", pri=1, version=1, msg="⠊⠀⠉⠁⠝⠀⠑⠁⠞⠀⠛⠇⠁⠎⠎⠀⠁⠝⠙⠀⠊⠞⠀⠙⠕⠑⠎⠝⠞⠀⠓⠥⠗⠞⠀⠍⠑"),
    gs("<1>1 - - - - - - Mogę jeść szkło, i mi nie szkodzi.", pri=1, version=1, msg="Mogę jeść szkło, i mi nie szkodzi."),
    gs("<1>1 - - - - - - 私はガラスを食べられます。それは私を傷つけません。", pri=1, version=1,
       msg="私はガラスを食べられます。それは私を傷つけません。"),
    gs("<1>1 - - - - - - абвгдеёжзийклмнопрстуфхцчшщъыьэюя", pri=1, version=1, msg="абвгдеёжзийклмнопрстуфхцчшщъыьэюя"),
    gs("<1>1 - - - - - - x\ny", pri=1, version=1, msg="x\ny"),
    gs("<1>2 - - - - - - x\ny", pri=1, version=2, msg="x\ny"),
    # generated in the peer's table: every length up to the maximum; here the edges
    *[gs(f"<{p}>{v} - {run(n)} - - - -", pri=p, version=v, host=run(n)) for p, v, n in ((3, 1, 1), (5, 2, 2), (7, 8, 254), (1, 9, 255))],
    *[gs(f"<{p}>{v} - - {run(n)} - - -", pri=p, version=v, app=run(n)) for p, v, n in ((2, 1, 1), (4, 3, 2), (6, 5, 47), (8, 7, 48))],
    *[gs(f"<{p}>{v} - - - {run(n)} - -", pri=p, version=v, procid=run(n)) for p, v, n in ((0, 1, 1), (1, 4, 2), (2, 6, 127), (3, 9, 128))],
    *[gs(f"<{p}>{v} - - - - {run(n)} -", pri=p, version=v, msgid=run(n)) for p, v, n in ((4, 1, 1), (5, 2, 2), (6, 3, 31), (7, 4, 32))],
    # -- go-syslog, invalid RFC 5424 -----------------------------------------------------------------
    bad("", "PRI", "expecting a priority value within angle brackets"),
    bad("<1>1 - - - - - -\n\t\t<2>1 - - - - - -", "STRUCTURED-DATA", "parsing error [col 16]"),
    bad("<1>1 - \nhostname - - - -", "HOSTNAME"),
    bad("<1>1 - host\nname - - - -", "HOSTNAME"),
    bad("<1>1 - - \nan - - -", "APP-NAME"),
    bad("<1>1 - - a\nn - - -", "APP-NAME"),
    bad("<1>1 - - - \npid - -", "PROCID"),
    bad("<1>1 - - - p\nid - -", "PROCID"),
    bad("<1>1 - - - - \nmid -", "MSGID"),
    bad("<1>1 - - - - m\nid -", "MSGID"),
    bad("(190>122 2018-11-22", "PRI"),
    bad("<87]123 -", "PRI"),
    bad("122 - - - - - -", "PRI"),
    bad("<>122 2018-11-22", "PRI"),
    bad("<19000021>122 2018-11-22", "PRI"),
    bad("<192>122 2018-11-22", "PRI"),
    bad("<002>122 2018-11-22", "PRI", "expecting a priority value in the range 1-191 or equal to 0 [col 2]"),
    bad("<aaa>122 2018-11-22", "PRI"),
    bad("<100> 2018-11-22", "VERSION"),
    bad("<103>0 2018-11-22", "VERSION"),
    bad("<101>1000 2018-11-22", "VERSION"),
    bad("<1>2 ", "TIMESTAMP"),
    bad("<1>1", "VERSION", "parsing error [col 4]"),
    bad("<1>3a", "VERSION", "parsing error [col 4]"),
    bad("<1>4a ", "VERSION", "parsing error [col 4]"),
    bad("<102>abc 2018-11-22", "VERSION"),
    bad("<1>5 A", "TIMESTAMP"),
    bad("<29>1 2006-01-02t15:04:05Z - - - - -", "TIMESTAMP"),
    bad("<29>2 2006-01-02T15:04:05z - - - - -", "TIMESTAMP"),
    bad("<101>123 2", "TIMESTAMP"),
    bad("<101>124 20", "TIMESTAMP"),
    bad("<101>125 201", "TIMESTAMP"),
    bad("<101>125 2013", "TIMESTAMP"),
    bad("<101>126 2013-", "TIMESTAMP"),
    bad("<101>122 201-11-22", "TIMESTAMP"),
    bad("<101>189 0-11-22", "TIMESTAMP"),
    bad("<101>122 2018-112-22", "TIMESTAMP"),
    bad("<101>123 2018-02-32", "TIMESTAMP"),
    bad("<101>124 2018-02-01:25:15Z", "TIMESTAMP"),
    bad("<101>125 2003-09-29T22:99:16Z", "TIMESTAMP"),
    bad("<101>126 2003-09-29T22:09:99Z", "TIMESTAMP"),
    bad("<101>127 2003-09-29T22:09:01.000000000009Z", "TIMESTAMP"),
    bad("<101>128 2003-09-29T22:09:01.Z", "TIMESTAMP"),
    bad("<101>28 2003-09-29T22:09:01.", "TIMESTAMP"),
    bad("<101>129 2003-09-29T22:09:01A", "TIMESTAMP"),
    bad("<101>130 2003-08-24T05:14:15.000003-24:00", "TIMESTAMP"),
    bad("<101>131 2003-08-24T05:14:15.000003-60:00", "TIMESTAMP"),
    bad("<101>132 2003-08-24T05:14:15.000003-07:61", "TIMESTAMP"),
    bad("<29>1 2006-01-02T15:04:05Z+07:00 - - - - -", "TIMESTAMP"),
    bad("<101>11 2003-09-31T22:14:15.003Z", "TIMESTAMP", "day out of range"),
    bad("<101>12 2003-09-31T22:14:16Z", "TIMESTAMP", "day out of range"),
    bad("<101>12 2018-02-29T22:14:16+01:00", "TIMESTAMP", "day out of range"),
    bad(f"<1>1 - {run(255)}X - - - -", "HOSTNAME"),
    bad(f"<1>1 2003-09-29T22:14:16Z {run(255)}X - - - -", "HOSTNAME"),
    bad(f"<1>1 - - {run(48)}X - - -", "APP-NAME"),
    bad(f"<1>1 2003-09-29T22:14:16Z - {run(48)}X - - -", "APP-NAME"),
    bad(f"<1>1 - host {run(48)}X - - -", "APP-NAME"),
    bad(f"<1>1 2003-09-29T22:14:16Z host {run(48)}X - - -", "APP-NAME"),
    bad(f"<1>1 - - - {run(128)}X - -", "PROCID"),
    bad(f"<1>1 - - - - {run(32)}X -", "MSGID"),
    bad("<1>1 -   - - - -", "HOSTNAME"),
    bad("<1>1 - -   - - -", "APP-NAME"),
    bad("<1>1 - - -   - -", "PROCID"),
    bad("<1>1 - - - -   -", "MSGID"),
    bad("<1>1 - - - - - X", "STRUCTURED-DATA"),
    bad("<1>1 - - - - - []", "SD-ID"),
    bad("<1>1 - - - - - [ ]", "SD-ID"),
    bad("<1>1 - - - - - [=]", "SD-ID"),
    bad("<1>1 - - - - - []]", "SD-ID"),
    bad('<1>1 - - - - - ["]', "SD-ID"),
    bad(f"<1>1 - - - - - [{run(32)}X]", "SD-ID"),
    bad(f'<1>1 - - - - - [id {run(32)}X="val"]', "PARAM-NAME"),
    bad("<165>3 2003-10-11T22:14:15.003Z example.com evnts - ID27 [id1][id1]", "SD-ID-duplicate"),
    bad('<165>3 2003-10-11T22:14:15.003Z example.com evnts - ID27 [dupe e="1"][id1][dupe class="l"]', "SD-ID-duplicate"),
    bad('<29>3 2016-01-15T01:00:43Z hn S - - [meta escape="]"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>5 2016-01-15T01:00:43Z hn S - - [meta escape="]q"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>4 2016-01-15T01:00:43Z hn S - - [meta escape="p]"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>4 2017-01-15T01:00:43Z hn S - - [meta escape="""] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>6 2016-01-15T01:00:43Z hn S - - [meta escape="a""] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>4 2018-01-15T01:00:43Z hn S - - [meta escape=""b"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>5 2019-01-15T01:00:43Z hn S - - [meta escape="\\"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>7 2019-01-15T01:00:43Z hn S - - [meta escape="a\\"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    bad('<29>8 2016-01-15T01:00:43Z hn S - - [meta escape="\\n"] 127.0.0.1 - - 1452819643 "GET"', "PARAM-VALUE"),
    *[bad(b"<1>1 - - - - - - " + tail, "MSG-UTF8") for tail in (
        b"\xef\xbb\xbf\xc1", b"\xef\xbb\xbf\xc3\x28", b"\xc3\x28", b"\xef\xbb\xbf\xa0\xa1", b"\xa0\xa1",
        b"\xef\xbb\xbf\xe2\x28\xa1", b"\xe2\x28\xa1", b"\xef\xbb\xbf\xe2\x82\x28", b"\xe2\x82\x28",
        b"\xef\xbb\xbf\xf0\x28\x8c\xbc", b"\xf0\x28\x8c\xbc", b"\xef\xbb\xbf\xf0\x90\x28\xbc", b"\xf0\x90\x28\xbc",
        b"\xef\xbb\xbf\xf0\x28\x8c\x28", b"\xf0\x28\x8c\x28", b"\xfe\xfe\xff\xff", b"\xfe", b"\xff",
        b"\xfc\x80\x80\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf", b"\xf0\x80\x80\xaf", b"\xe0\x80\xaf", b"\xc0\xaf",
        b"\xfc\x83\xbf\xbf\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf", b"\xf0\x8f\xbf\xbf", b"\xe0\x9f\xbf", b"\xc1\xbf",
        b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf", b"\xed\xb0\x80", b"\xed\xbe\x80",
        b"\xed\xbf\xbf", b"\xed\xa0\x80\xed\xb0\x80", b"valid\xef\xbb\xbf\xc1",
    )],
    bad(b"<1>2 - - - - - - \xc1", "MSG-UTF8"),
    bad("<1>10 -- - - - -", "TIMESTAMP", "parsing error [col 7]"),
    # generated in the peer's table: every prefix of an incomplete timestamp
    *[bad("<1>1 " + "2003-11-02T23:12:46.012345"[:n], "TIMESTAMP") for n in range(1, 27)],
]  # fmt: skip


# -- comparison ----------------------------------------------------------------------------------------


def bsd_stamp(event: dict[str, Any]) -> str:
    moment = datetime.fromisoformat(event["@timestamp"])
    return moment.strftime("%b ") + f"{moment.day:2d}" + moment.strftime(" %H:%M:%S")


def _procid(tag: str) -> str | None:
    """The PROCID rsyslog derives from a TAG: between its first ``[`` and the ``]`` after it."""
    _, bracket, after = tag.partition("[")
    procid, closed, _ = after.partition("]")
    return procid if bracket and closed and procid else None


def differences(case: Case, event: dict[str, Any]) -> list[str]:
    """What grokpipe's event says otherwise than the peer, as ``field: ours != theirs``; empty when they agree."""
    syslog = event.get("log", {}).get("syslog", {})
    tags = set(event.get("tags", ()))
    got: dict[str, Any]
    want: dict[str, Any]
    e = case.expect
    if case.group in (RSYSLOG_BSD, RSYSLOG_5424):
        msg = e["msg"][1:] if case.group == RSYSLOG_BSD and e["msg"].startswith(" ") else e["msg"]
        got = {"pri": syslog.get("priority"), "host": syslog.get("hostname"), "program": syslog.get("appname") or "",
               "procid": syslog.get("procid"), "msg": event["message"]}  # fmt: skip
        want = {"pri": e["pri"], "host": e["host"], "program": e["program"], "procid": _procid(e["tag"]), "msg": msg}
        if case.group == RSYSLOG_BSD and e["ts"]:
            got["ts"], want["ts"] = bsd_stamp(event), e["ts"]
    elif case.group == VALID:
        got = {"pri": syslog.get("priority"), "version": syslog.get("version"), "host": syslog.get("hostname"),
               "app": syslog.get("appname"), "procid": syslog.get("procid"), "msgid": syslog.get("msgid"),
               "sd": syslog.get("structured_data"), "msg": event["message"], "flags": sorted(tags & FLAGS)}  # fmt: skip
        want = {"pri": e["pri"], "version": e["version"], "host": e.get("host"), "app": e.get("app"),
                "procid": e.get("procid"), "msgid": e.get("msgid"), "sd": e.get("sd"),
                "msg": e.get("msg", "").removeprefix("\ufeff"), "flags": []}  # fmt: skip
        if e.get("ts"):
            moment = datetime.fromisoformat(e["ts"]).astimezone(UTC)
            got["ts"] = syslog.get("timestamp", event["@timestamp"])
            micro = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            want["ts"] = micro if moment.microsecond % 1000 else micro[:23] + "Z"
    else:
        rule = e["rule"]
        if rule in ("PRI", "VERSION") and not _pri_then_version(case.frame):
            got, want = {"read as RFC 5424": "version" in syslog}, {"read as RFC 5424": False}
        elif rule == "MSG-UTF8":
            got, want = {"invalid_utf8": "invalid_utf8" in tags}, {"invalid_utf8": True}
        elif "_syslogparsefailure" in tags:
            got, want = {}, {}
        else:
            got = {"flagged": rule in syslog.get("nonconformant", ())}
            want = {"flagged": True}
            if not got["flagged"]:
                got["nonconformant"] = syslog.get("nonconformant")
    return [f"{key}: {got.get(key)!r} != {want[key]!r}" for key in want if got.get(key) != want[key]]


def _pri_then_version(frame: bytes) -> bool:
    """``<PRI>VERSION SP``: a PRI of up to three digits (a leading zero is a broken PRI, still a PRI), up
    to 191, and a VERSION of 1-999: the peer's error is then about RFC 5424's own rules."""
    text = frame.decode(errors="replace")
    head, close, rest = text.partition(">")
    pri = head[1:]
    if not (text.startswith("<") and close and pri.isdigit() and len(pri) <= 3 and int(pri) <= 191):
        return False
    version = rest.split(" ", 1)
    return len(version) == 2 and version[0].isdigit() and version[0][0] != "0" and len(version[0]) <= 3


def agreement(parse: Callable[[bytes], dict[str, Any]], cases: list[Case] = CASES) -> dict[str, tuple[int, int]]:
    """Per group: (cases where ``parse`` agrees with the peer, cases)."""
    counts = {group: [0, 0] for group in GROUPS}
    for case in cases:
        counts[case.group][1] += 1
        try:
            agrees = not differences(case, parse(case.frame))
        except Exception:  # noqa: BLE001 -- an older parser may lack a field: that case disagrees
            agrees = False
        counts[case.group][0] += agrees
    return {group: (agree, total) for group, (agree, total) in counts.items()}


__all__ = ["CASES", "GROUPS", "Case", "agreement", "differences"]
