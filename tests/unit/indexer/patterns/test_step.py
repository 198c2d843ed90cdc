"""The indexer's pattern step: every event keyed, the same key in every process, errors grouped."""

from __future__ import annotations

import orjson
import pytest

from grokpipe.fieldnames import LOG_PATTERN_KEY as KEY_FIELD
from grokpipe.fieldnames import LOG_PATTERN_TEMPLATE as TEMPLATE_FIELD
from grokpipe.indexer.documents import build
from grokpipe.indexer.fields import Event, get
from grokpipe.indexer.patterns.header import strip_header
from grokpipe.indexer.patterns.step import PatternKeys
from grokpipe.indexer.pipeline import Router

STRIPPED = [
    ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for", "PacketResponder 1 for", "info"),
    ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown", "check pass; user unknown", None),
    ("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.MRAppMaster: Created", "Created", "info"),
    ("2015-07-29 17:41:44,747 - WARN  [SendWorker:18897:QCM@688] - Send worker", "Send worker", "warning"),
    ("03-17 16:14:02.045  2227  2227 E PhoneStatusBar: setLightsOn(true)", "setLightsOn(true)", "error"),
    ("[Sun Dec 04 04:47:44 2005] [error] mod_jk child in error state 6", "mod_jk child in error state 6", "error"),
    ("2005-06-11-17.30.07.581 R02-M1-NB-C:J15-U11 RAS KERNEL FATAL data TLB error", "data TLB error", "critical"),
    ("hello world", "hello world", None),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message", "level"), STRIPPED)
def test_strip_header(line: str, message: str, level: str | None) -> None:
    cut = strip_header(line)
    assert (cut.message, cut.level) == (message, level)


def test_strip_header_names_the_program_and_host() -> None:
    cut = strip_header("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown")
    assert (cut.logger, cut.pid, cut.host) == ("sshd", 19939, "combo")
    cut = strip_header("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered")
    assert (cut.logger, cut.pid, cut.host) == ("executor.CoarseGrainedExecutorBackend", None, None)


def test_the_header_fills_fields_the_event_lacks() -> None:
    event = keyed("Jun 14 15:16:01 combo sshd[199]: error: connect to 10.0.0.1 port 22 failed")
    assert (get(event, "log.logger"), get(event, "process.pid"), get(event, "host.name")) == ("sshd", 199, "combo")
    shipped: Event = {"message": "Jun 14 15:16:01 combo sshd[199]: x", "host": {"name": "shipper-7"}}
    PatternKeys()(shipped, parsed=False)
    assert get(shipped, "host.name") == "shipper-7"


def keyed(message: str, parsed: bool = False) -> Event:
    event: Event = {"message": message, "event": {"dataset": "ras"}}
    PatternKeys()(event, parsed=parsed)
    return event


def test_a_node_a_pid_and_a_time_do_not_change_the_key() -> None:
    a = keyed("2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt")
    b = keyed("2005-06-12-01.02.03.000001 R21-M1-N2-C:J07-U11 RAS KERNEL FATAL data TLB error interrupt")
    assert get(a, KEY_FIELD) == get(b, KEY_FIELD)
    assert len(get(a, KEY_FIELD)) == 12


def test_every_event_gets_a_key_and_a_template() -> None:
    event = keyed("Received block blk_-3909548841543565741 of size 3542967 from /10.251.195.33", parsed=True)
    assert get(event, TEMPLATE_FIELD) == "Received block blk_<*> of size <*> from /<*>"


def test_a_pipeline_message_is_not_cut() -> None:
    event: Event = {"message": "raw", "log": {"message": "2026 boom"}}
    PatternKeys()(event, parsed=True)
    assert get(event, TEMPLATE_FIELD) == "<*> boom"


def test_an_error_without_a_pipeline_is_grouped_by_its_pattern() -> None:
    a = keyed("2026-12-02 14:00:01,200 ERROR db-7 connect to 10.0.0.3:5432 timed out")
    b = keyed("2026-12-02 14:00:09,900 ERROR db-9 connect to 10.0.0.4:5432 timed out")
    assert get(a, "log.level") == "error"
    assert get(a, "error.grouping_key") == get(b, "error.grouping_key") is not None
    info = keyed("2026-12-02 14:00:01,200 INFO started")
    assert get(info, "error.grouping_key") is None


def test_documents_carry_the_pattern_fields() -> None:
    raw = orjson.dumps({"message": "2026-12-02 14:00:01 ERROR disk 3 full", "event": {"dataset": "app"}})
    doc = build(raw, "t", 0, 1, router=Router({}), namespace="default")
    assert get(doc.source, KEY_FIELD)
    assert get(doc.source, TEMPLATE_FIELD) == "disk <*> full"
    assert get(doc.source, "error.title") == "disk <int> full"


def test_an_event_without_a_time_takes_its_header_s() -> None:
    raw = orjson.dumps({"message": "2026-12-02 14:00:01,250 ERROR disk 3 full", "event": {"dataset": "app"}})
    doc = build(raw, "t", 0, 1, router=Router({}), namespace="default")
    assert doc.source["@timestamp"] == "2026-12-02T14:00:01.250Z"
    stamped = orjson.dumps({"message": "2026-12-02 14:00:01 ERROR x", "@timestamp": "2026-12-07T01:02:03.000Z"})
    doc = build(stamped, "t", 0, 2, router=Router({}), namespace="default")
    assert doc.source["@timestamp"] == "2026-12-07T01:02:03.000Z"  # the shipper's stamp stays
