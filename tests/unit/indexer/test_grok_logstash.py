"""Logstash's own pattern sets (logstash-patterns-core, legacy and ECS) read as Logstash reads them.

The lines and expected fields are the documented examples of the upstream pattern specs
(``spec/patterns/*_spec.rb``); the pattern files are unchanged copies (see logstash_patterns/).
Each expectation is a subset: the fields the spec names, with the values it names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygrok
import pytest

from grokpipe.indexer.grok import PatternLibrary

HERE = Path(__file__).parent / "logstash_patterns"
PYGROK_LEGACY = Path(pygrok.__file__).parent / "patterns"


@pytest.fixture(scope="module")
def libraries() -> dict[str, PatternLibrary]:
    return {
        "ecs": PatternLibrary.from_dirs([HERE / "ecs-v1"]),
        "legacy": PatternLibrary.from_dirs([PYGROK_LEGACY, HERE / "legacy"]),
    }


@pytest.mark.parametrize("name", ["ecs", "legacy"])
def test_every_pattern_of_both_sets_compiles(libraries: dict[str, PatternLibrary], name: str) -> None:
    library = libraries[name]
    assert len(library.patterns) > 150
    for pattern in library.patterns:
        library.compile(f"%{{{pattern}}}")  # SHOREWALL's ".?*" included


CLOUDFRONT = "\t".join(
    [
        "2016-06-10",
        "18:41:39",
        "IAD53",
        "224281",
        "192.168.1.1",
        "GET",
        "d27enomp470abc.cloudfront.net",
        "/content/sample/thing.pdf",
        "200",
        "https://example.com/",
        "Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36",
        "-",
        "-",
        "Miss",
        "UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==",
        "host.example.com",
        "https",
        "883",
        "0.036",
        "-",
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "RefreshHit",
    ]
)
#: the 33-field format (HTTP version ... range end after the result type) with a LHR62-C2 edge
CLOUDFRONT_LONG = "\t".join(
    [
        "2019-12-04",
        "21:02:31",
        "LHR62-C2",
        "5648",
        "2001:db8::1",
        "GET",
        "d111111abcdef8.cloudfront.net",
        "/index.html",
        "200",
        "-",
        "curl/7.64.1",
        "a=b",
        "-",
        "Hit",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "d111111abcdef8.cloudfront.net",
        "https",
        "23",
        "0.001",
        "-",
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "Hit",
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.001",
        "Hit",
        "text/html",
        "78",
        "-",
        "-",
    ]
)
SHOREWALL_OUT = (
    "May 28 17:23:25 myHost kernel: [3124658.791874] Shorewall:FORWARD:REJECT:"
    "IN=eth2 OUT=eth2 SRC=1.2.3.4 DST=192.168.0.10 LEN=141 TOS=0x00 PREC=0x00 TTL=63 ID=55251 PROTO=UDP SPT=5353 "
    "DPT=5335 LEN=121"
)
SHOREWALL_MAC = (
    "May 28 17:31:07 server Shorewall:net2fw:DROP:"
    "IN=eth1 OUT= MAC=00:02:b3:c7:2f:77:38:72:c0:6e:92:9c:08:00 SRC=127.0.0.1 DST=1.2.3.4 LEN=60 TOS=0x00 PREC=0x00 "
    "TTL=49 ID=6480 DF PROTO=TCP SPT=59088 DPT=8080 WINDOW=2920 RES=0x00 SYN URGP=0"
)
BIND = (
    "17-Feb-2018 23:06:56.326 queries: info: client 172.26.0.1#12345 (test.example.com): "
    "query: test.example.com IN A +E(0)K (172.26.0.3)"
)

CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # -- UNIXPATH: "[[[:alnum:]]_%...]" is a nested class (a union) in Oniguruma
    ("ecs", "^%{UNIXPATH:p}$", "/var/log/messages", {"p": "/var/log/messages"}),
    ("ecs", "^%{UNIXPATH:p}$", "/usr/local/bac/volumes", {"p": "/usr/local/bac/volumes"}),
    ("ecs", "^%{UNIXPATH:p}$", "/srv/a+b/~user/x,y.log", {"p": "/srv/a+b/~user/x,y.log"}),
    ("ecs", "^%{PATH:p}$", "/var/lib/bacula/bacula.sql", {"p": "/var/lib/bacula/bacula.sql"}),
    ("legacy", "^%{UNIXPATH:p}$", "/var/log/messages", {"p": "/var/log/messages"}),
    # -- BACULA (bacula_spec.rb): paths inside, so they failed with UNIXPATH
    (
        "ecs",
        "%{BACULA_LOG_MAX_CAPACITY}",
        'User defined maximum volume capacity 108,372,182,400 exceeded on device "FStorage" (/var/lib/bac/storage).',
        {
            "bacula.volume.max_capacity": "108,372,182,400",
            "bacula.volume.device": "FStorage",
            "bacula.volume.path": "/var/lib/bac/storage",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOG_END_VOLUME}",
        'End of medium on Volume "TestShortZN0014" Bytes=5,228,777 Blocks=82 at 21-Dec-2016 12:30.',
        {
            "bacula.volume.name": "TestShortZN0014",
            "bacula.volume.bytes": "5,228,777",
            "bacula.volume.blocks": "82",
            "bacula.timestamp": "21-Dec-2016 12:30",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '09-Jan 19:54 bacula-host JobId 265896: Created new Volume "FullAuto-8812" in catalog.',
        {
            "timestamp": "09-Jan 19:54",
            "host.hostname": "bacula-host",
            "bacula.job.id": "265896",
            "bacula.volume.name": "FullAuto-8812",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '25-Aug 10:50 bacula-sd JobId 24: Labeled new Volume "Vol-0018" on device "FileChgr1-Dev1" (/opt/bacula/disk).',
        {
            "timestamp": "25-Aug 10:50",
            "bacula.volume.name": "Vol-0018",
            "bacula.volume.device": "FileChgr1-Dev1",
            "bacula.volume.path": "/opt/bacula/disk",
            "bacula.job.id": "24",
            "host.hostname": "bacula-sd",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '25-Aug 10:50 bacula-sd JobId 24: Wrote label to prelabeled Volume "Volume01" on device "Device01" (/dev/nst0)',
        {"bacula.volume.name": "Volume01", "bacula.volume.device": "Device01", "bacula.volume.path": "/dev/nst0"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '24-Aug 01:54 crey-sd JobId 215534: New volume "DiffAuto-4861" mounted on device "vDrive-1" '
        "(/usr/local/bac/volumes) at 24-Aug-2015 01:54.",
        {
            "timestamp": "24-Aug 01:54",
            "bacula.volume.name": "DiffAuto-4861",
            "bacula.volume.device": "vDrive-1",
            "bacula.volume.path": "/usr/local/bac/volumes",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '24-Feb 16:36 starfury-fd JobId 3: Could not open directory "/root": ERR=Permission denied',
        {"timestamp": "24-Feb 16:36", "file.path": "/root", "error.message": "Permission denied"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "15-Dec 17:50 u22.com JobId 13:      Could not stat /var/lib/bacula/bacula.sql: ERR=No such file or directory",
        {
            "timestamp": "15-Dec 17:50",
            "file.path": "/var/lib/bacula/bacula.sql",
            "error.message": "No such file or directory",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        '12-Apr 14:23 VU0EM005: All records pruned from Volume "06D125L3"; marking it "Purged"',
        {"timestamp": "12-Apr 14:23", "bacula.volume.name": "06D125L3", "host.hostname": "VU0EM005"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "29-Jan 04:16 lbu02-dir: Pruned 24 Jobs for client uni-horn from catalog.",
        {"timestamp": "29-Jan 04:16", "bacula.client.name": "uni-horn", "host.hostname": "lbu02-dir"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "06-Mar 20:00 srvbkp-dir JobId 1075: Start Backup JobId 1075, Job=srv1-bind.2018-03-06_20.00.01_05",
        {"bacula.job.name": "srv1-bind.2018-03-06_20.00.01_05", "bacula.job.id": "1075"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "01-Feb 00:34 ohms-fd JobId 1662:      /var/spool/bareos is a different filesystem. Will not descend from "
        "/var into it.",
        {"timestamp": "01-Feb 00:34"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "28-Aug 21:55 bacula-sd JobId 16: Job write elapsed time = 00:00:01, Transfer rate = 0  Bytes/second",
        {"timestamp": "28-Aug 21:55", "bacula.job.elapsed_time": "00:00:01", "bacula.job.id": "16"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "17-Jan-2003 16:45 home-sd: Volume test01 previously written, moving to end of data.",
        {"timestamp": "17-Jan-2003 16:45", "bacula.volume.name": "test01"},
    ),
    (
        "ecs",
        "%{BACULA_LOG_READYAPPEND}",
        'Ready to append to end of Volume "F-0032" size=97835302',
        {"bacula.volume.name": "F-0032", "bacula.volume.size": 97835302},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "01-Aug 13:30 toe-fd JobId 686: shell command: run ClientRunBeforeJob "
        '"/etc/bacula/cbe_hanfs.sh /mnt/baxter/fs1"',
        {"bacula.job.id": "686", "bacula.job.client_run_before_command": "/etc/bacula/cbe_hanfs.sh /mnt/baxter/fs1"},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "11-Nov 13:28 bacula-dir JobId 11: Fatal error: bsock.c:133 Unable to connect to Client: dc0-fd on "
        "dc0.teamworld.com:9102. ERR=Connection refused",
        {
            "client.address": "dc0.teamworld.com",
            "client.port": 9102,
            "bacula.client.name": "dc0-fd",
            "error.message": "Connection refused",
        },
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "16-May 11:59 samy-dir JobId 0: Fatal error: Unable to authenticate with File daemon at "
        '"cardam.home.domain:9102". Possible causes:',
        {"client.address": "cardam.home.domain", "client.port": 9102},
    ),
    (
        "ecs",
        "%{BACULA_LOGLINE}",
        "03-Aug 06:20 DIRECTOR JobId 316677: Cancelling duplicate JobId=316646.",
        {"bacula.job.id": "316677", "bacula.job.duplicate_id": "316646"},
    ),
    (
        "legacy",
        "%{BACULA_LOGLINE}",
        '24-Aug 01:54 crey-sd JobId 215534: New volume "DiffAuto-4861" mounted on device "vDrive-1" '
        "(/usr/local/bac/volumes) at 24-Aug-2015 01:54.",
        {
            "bts": "24-Aug 01:54",
            "device": "vDrive-1",
            "volume": "DiffAuto-4861",
            "hostname": "crey-sd",
            "jobid": "215534",
        },
    ),
    # -- BIND9 (bind_spec.rb): legacy captures the query twice, which makes an array
    (
        "legacy",
        "%{BIND9}",
        BIND,
        {
            "timestamp": "17-Feb-2018 23:06:56.326",
            "loglevel": "info",
            "clientip": "172.26.0.1",
            "clientport": 12345,
            "query": ["test.example.com", "test.example.com"],
            "querytype": "A +E(0)K",
            "dns": "172.26.0.3",
        },
    ),
    (
        "ecs",
        "%{BIND9}",
        BIND,
        {
            "timestamp": "17-Feb-2018 23:06:56.326",
            "log.level": "info",
            "client.ip": "172.26.0.1",
            "client.port": 12345,
            "dns.question.name": "test.example.com",
            "dns.question.type": "A",
            "dns.question.class": "IN",
            "bind.log.question.flags": "+E(0)K",
            "bind.log.question.name": "test.example.com",
            "server.ip": "172.26.0.3",
        },
    ),
    # -- CLOUDFRONT (aws_spec.rb): every field stops at its tab
    (
        "legacy",
        "%{CLOUDFRONT_ACCESS_LOG}",
        CLOUDFRONT,
        {
            "timestamp": "2016-06-10\t18:41:39",
            "x_edge_location": "IAD53",
            "sc_bytes": 224281,
            "clientip": "192.168.1.1",
            "cs_method": "GET",
            "cs_host": "d27enomp470abc.cloudfront.net",
            "cs_uri_stem": "/content/sample/thing.pdf",
            "sc_status": 200,
            "referrer": "https://example.com/",
            "agent": "Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36",
            "cs_uri_query": "-",
            "cookies": "-",
            "x_edge_result_type": "Miss",
            "x_edge_request_id": "UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==",
            "x_host_header": "host.example.com",
            "cs_protocol": "https",
            "cs_bytes": 883,
            "time_taken": 0.036,
            "x_forwarded_for": "-",
            "ssl_protocol": "TLSv1.2",
            "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "x_edge_response_result_type": "RefreshHit",
        },
    ),
    (
        "ecs",
        "%{CLOUDFRONT_ACCESS_LOG}",
        CLOUDFRONT,
        {
            "timestamp": "2016-06-10\t18:41:39",
            "aws.cloudfront.x_edge_location": "IAD53",
            "destination.bytes": 224281,
            "source.ip": "192.168.1.1",
            "source.bytes": 883,
            "http.request.method": "GET",
            "http.request.referrer": "https://example.com/",
            "http.response.status_code": 200,
            "user_agent.original": "Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36",
            "url.domain": "d27enomp470abc.cloudfront.net",
            "url.path": "/content/sample/thing.pdf",
            "aws.cloudfront.x_edge_result_type": "Miss",
            "aws.cloudfront.x_edge_request_id": "UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==",
            "network.protocol": "https",
            "aws.cloudfront.http.request.host": "host.example.com",
            "aws.cloudfront.time_taken": 0.036,
            "aws.cloudfront.ssl_protocol": "TLSv1.2",
            "tls.cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "aws.cloudfront.x_edge_response_result_type": "RefreshHit",
        },
    ),
    (
        "ecs",
        "^%{CLOUDFRONT_ACCESS_LOG}$",
        CLOUDFRONT_LONG,
        {
            "aws.cloudfront.x_edge_location": "LHR62-C2",
            "source.ip": "2001:db8::1",
            "user_agent.original": "curl/7.64.1",
            "url.query": "a=b",
            "http.version": "2.0",
            "source.port": 11040,
            "aws.cloudfront.time_to_first_byte": 0.001,
            "aws.cloudfront.x_edge_detailed_result_type": "Hit",
            "http.request.mime_type": "text/html",
            "aws.cloudfront.http.request.size": 78,
        },
    ),
    # -- SHOREWALL (shorewall_spec.rb): legacy ".?*" is a nested repeat in Oniguruma (pygrok's legacy copy
    # predates the spec's second example, which has no "kernel:")
    (
        "legacy",
        "%{SHOREWALL}",
        SHOREWALL_OUT,
        {
            "timestamp": "May 28 17:23:25",
            "nf_host": "myHost",
            "nf_action1": "FORWARD",
            "nf_action2": "REJECT",
            "nf_in_interface": "eth2",
            "nf_out_interface": "eth2",
            "nf_src_ip": "1.2.3.4",
            "nf_dst_ip": "192.168.0.10",
            "nf_len": "141",
            "nf_tos": "0x00",
            "nf_prec": "0x00",
            "nf_ttl": "63",
            "nf_id": "55251",
            "nf_protocol": "UDP",
            "nf_src_port": "5353",
            "nf_dst_port": "5335",
        },
    ),
    (
        "ecs",
        "%{SHOREWALL}",
        SHOREWALL_OUT,
        {
            "timestamp": "May 28 17:23:25",
            "observer.hostname": "myHost",
            "shorewall.firewall.type": "FORWARD",
            "shorewall.firewall.action": "REJECT",
            "observer.ingress.interface.name": "eth2",
            "observer.egress.interface.name": "eth2",
            "iptables.length": 141,
            "iptables.tos": "00",
            "iptables.precedence_bits": "00",
            "iptables.ttl": 63,
            "iptables.id": "55251",
            "network.transport": "UDP",
            "source.ip": "1.2.3.4",
            "source.port": 5353,
            "destination.ip": "192.168.0.10",
            "destination.port": 5335,
        },
    ),
    (
        "ecs",
        "%{SHOREWALL}",
        SHOREWALL_MAC,
        {
            "observer.hostname": "server",
            "shorewall.firewall.type": "net2fw",
            "shorewall.firewall.action": "DROP",
            "observer.ingress.interface.name": "eth1",
            "iptables.length": 60,
            "iptables.fragment_flags": "DF",
            "iptables.tcp.flags": "SYN ",
            "iptables.tcp.window": 2920,
            "iptables.tcp_reserved_bits": "00",
            "network.transport": "TCP",
            "source.ip": "127.0.0.1",
            "source.port": 59088,
            "source.mac": "38:72:c0:6e:92:9c",
            "destination.ip": "1.2.3.4",
            "destination.port": 8080,
            "destination.mac": "00:02:b3:c7:2f:77",
        },
    ),
    # -- a few more from the specs
    (
        "ecs",
        "%{ELB_ACCESS_LOG}",
        "2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 "
        '200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1"',
        {
            "timestamp": "2014-02-15T23:39:43.945958Z",
            "aws.elb.name": "my-test-loadbalancer",
            "aws.elb.request_processing_time.sec": 0.000073,
            "aws.elb.backend.ip": "10.0.0.1",
            "aws.elb.backend.port": 80,
            "aws.elb.backend.http.response.status_code": 200,
            "http.request.method": "GET",
            "http.request.body.bytes": 0,
            "http.response.body.bytes": 29,
            "http.version": "1.1",
            "source.ip": "192.168.131.39",
            "source.port": 2817,
            "url.original": "http://www.example.com:80/",
            "url.port": 80,
            "url.path": "/",
            "url.domain": "www.example.com",
            "url.scheme": "http",
        },
    ),
    (
        "ecs",
        "%{S3_ACCESS_LOG}",
        '79a5 mybucket [12/May/2014:07:54:01 +0000] 10.0.1.2 - 7ACC4BE89EXAMPLE REST.GET.OBJECT foo/bar.html "GET '
        '/foo/bar.html HTTP/1.1" 304 - - 1718 10 - "-" "Mozilla/5.0" -',
        {
            "aws.s3access.bucket_owner": "79a5",
            "timestamp": "12/May/2014:07:54:01 +0000",
            "client.ip": "10.0.1.2",
            "aws.s3access.key": "foo/bar.html",
            "user_agent.original": "Mozilla/5.0",
        },
    ),
    (
        "legacy",
        "%{SYSLOGLINE}",
        "Nov 22 08:15:08 web1 sshd[811]: Accepted publickey for bob",
        {"program": "sshd", "pid": "811", "logsource": "web1"},
    ),
    # \h is a hex digit in Oniguruma (rails' RUUID), horizontal space in regex
    ("legacy", "%{RUUID:id}", "id=0123456789abcdef0123456789ABCDEF", {"id": "0123456789abcdef0123456789ABCDEF"}),
]


@pytest.mark.parametrize(("library", "expression", "line", "expected"), CASES)
def test_spec_examples(
    libraries: dict[str, PatternLibrary], library: str, expression: str, line: str, expected: dict[str, Any]
) -> None:
    found = libraries[library].compile(expression).match(line)
    assert found is not None, f"{expression} does not match {line!r}"
    assert {key: found.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    ("library", "expression", "line", "absent"),
    [
        ("ecs", "%{CLOUDFRONT_ACCESS_LOG}", CLOUDFRONT, ["url.query", "network.forwarded_ip", "http.version"]),
        ("ecs", "%{SHOREWALL}", SHOREWALL_MAC, ["observer.egress.interface.name"]),
    ],
)
def test_spec_examples_leave_out_what_is_not_there(
    libraries: dict[str, PatternLibrary], library: str, expression: str, line: str, absent: list[str]
) -> None:
    found = libraries[library].compile(expression).match(line)
    assert found is not None
    assert [key for key in absent if key in found] == []


@pytest.mark.parametrize(
    ("expression", "text", "expected"),
    [
        ("(?<m>[[[:alnum:]]_]+)", "ab_1-", {"m": "ab_1"}),  # nested class: a union
        ("(?<m>[a-c&&[^b]]+)", "acb", {"m": "ac"}),  # intersection with a negated class
        ("(?<m>[a||[^b]]+)", "a||cb", {"m": "a||c"}),  # "||" is text in Ruby, an operator in VERSION1
        ("(?<m>\\h+)", "x 0fA9 ", {"m": "0fA9"}),  # \h: hex digit
        ("(?<m>[\\h]+)", "x 0fA9 ", {"m": "0fA9"}),
        ("(?<m>x.?*y)", "xaaay", {"m": "xaaay"}),  # stacked quantifiers nest
        ("(?<m>(?:ab){2}?c)", "c", {"m": "c"}),  # {n}? is optional, not lazy
        ("(?<m>a{1,2}+)", "aaaa", {"m": "aaaa"}),  # {n,m}+ repeats, not possessive
        ("(?<m>a++)", "aaaa", {"m": "aaaa"}),  # ++ stays possessive
        ("(?<m>a*?)b", "aab", {"m": "aa"}),  # *? stays lazy
        ("x(?i)b|c(?<m>)", "C", None),  # (?i) reaches to the group's end: x(?i:b|c)
        ("(?<m>x(?i)b)", "xB", {"m": "xB"}),
        ("(?<m>(?m)a.b)", "a\nb", {"m": "a\nb"}),  # Ruby's (?m) is dotall
        ("(?<m>(?s)a.b)", "a\nb", {"m": "a\nb"}),  # and Python's (?s) still works
        ("(?<m>x)\\Z", "x\n", {"m": "x"}),  # Ruby's \Z allows a final newline
        ("(?<m>x)\\z", "x\n", None),
        ("(?<q>[a-z]+)-\\k<q>", "ab-ab", {"q": "ab"}),  # back-reference by name after renaming
        ("(?'q'[a-z]+)=(?P<r>\\d+)", "k=1", {"q": "k", "r": "1"}),
        ("(a)(?<m>b)", "ab", {"m": "b"}),  # plain groups capture nothing beside named ones
        ("(a)\\1(?<m>b)", "aab", {"m": "b"}),  # ... unless a numbered back-reference counts them
        ("(?<m>\\p{Lu}+)(?#a comment)", "xAB", {"m": "AB"}),
        ("(?<m>a{,2})b", "aab", {"m": "aa"}),
        ("%{WORD:w} %{WORD:w} %{WORD:w}", "a b c", {"w": ["a", "b", "c"]}),  # repeated field: a list
        ("%{INT:n:int} (?:%{INT:n:int})?x", "1 x", {"n": 1}),  # ... of the values present only
    ],
)
def test_oniguruma_dialect(
    libraries: dict[str, PatternLibrary], expression: str, text: str, expected: dict[str, Any] | None
) -> None:
    assert libraries["ecs"].compile(expression).match(text) == expected
