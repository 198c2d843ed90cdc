"""Parse workers: the documents they hand back are the ones the consumer builds itself, a killed
worker is replaced, and an encoded document is restamped per bulk attempt without decoding."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import orjson
import pytest
from support.process import children

from grokpipe.indexer.bulk import _create, _ndjson
from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.documents import Document, build, encode, restamp
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import Scrubber
from grokpipe.indexer.workers import ParsePool, Record
from grokpipe.settings import ConfigError

ACCESS = '203.0.113.{n} - - [22/Nov/2026:10:00:{s:02d} +0000] "GET /item/{n}?token=abc{n} HTTP/1.1" 200 {n} "-" "ua"'


def record(n: int, **event: Any) -> Record:
    value = {
        "@timestamp": "2026-11-22T10:00:00.000Z",
        "message": ACCESS.format(n=n, s=n % 60),
        "event": {"id": f"id-{n}", "dataset": "nginx.access"},
        "host": {"name": "test"},
        **event,
    }
    return orjson.dumps(value), "logs.raw", n % 3, n


RECORDS = [
    *(record(n) for n in range(40)),
    (b"not json at all", "logs.raw", 0, 1000),
    (orjson.dumps({"message": "no dataset, no id"}), "logs.raw", 1, 1001),
    record(7, event={"id": "id-x", "dataset": "php.error"}),
]


@pytest.fixture(scope="module")
def settings() -> IndexerSettings:
    return IndexerSettings.load(None, workers=2, namespace="test")


@pytest.fixture(scope="module")
def pool(settings: IndexerSettings) -> Iterator[ParsePool]:
    pool = ParsePool(settings)
    pool.start()
    yield pool
    pool.close()


def in_process(settings: IndexerSettings, records: list[Record]) -> list[Document]:
    router, scrubber = Router.load(), Scrubber(settings.scrub)
    return [build(*r, router=router, namespace=settings.namespace, scrubber=scrubber) for r in records]


def worker_pids() -> set[int]:
    """This process's parse workers (not its resource tracker, which is not spawned)."""
    return children(os.getpid(), b"spawn_main")


def same(worker: Document, here: Document) -> None:
    assert worker.encoded is not None
    source = orjson.loads(worker.encoded)
    assert source["event"]["ingested"]
    here.source["event"]["ingested"] = source["event"]["ingested"]
    if b'"@timestamp"' not in here.raw:  # stamped with the time it was read: by each process its own
        here.source["@timestamp"] = source["@timestamp"]
    assert source == orjson.loads(orjson.dumps(here.source))
    assert (worker.index, worker.id, worker.raw) == (here.index, here.id, here.raw)
    assert worker.source["event"] == {"id": here.id, "dataset": here.source["event"]["dataset"]}
    assert worker.source.get("tags") == here.source.get("tags")


def test_workers_build_the_documents_the_consumer_builds(pool: ParsePool, settings: IndexerSettings) -> None:
    got = pool.submit(RECORDS).result(timeout=60)
    expected = in_process(settings, RECORDS)
    assert len(got) == len(expected) == len(RECORDS)
    for worker, here in zip(got, expected, strict=True):
        same(worker, here)
    assert "scrubbed" in got[0].source["tags"]  # the token in the URL: scrubbed in the worker
    assert b"abc0" not in got[0].raw  # and the record kept for the dead-letter index with it
    assert "_jsonparsefailure" in got[40].source["tags"]


def test_a_killed_worker_is_replaced_and_the_records_parse_again(settings: IndexerSettings) -> None:
    others = worker_pids()  # the module's pool
    pool = ParsePool(settings)
    try:
        pool.start()
        pids = worker_pids() - others
        assert len(pids) == 2
        os.kill(next(iter(pids)), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not pool.restarts and time.monotonic() < deadline:
            try:  # a task in flight fails (the consumer restarts then), or submit() finds the pool broken
                pool.submit(RECORDS[:5]).result(timeout=60)
            except BrokenProcessPool:
                pool.restart()
            time.sleep(0.1)
        assert pool.restarts == 1
        for worker, here in zip(pool.submit(RECORDS).result(timeout=60), in_process(settings, RECORDS), strict=True):
            same(worker, here)
    finally:
        pool.close()
    assert not worker_pids() & pids


def test_restamp_sets_ingested_and_keeps_the_rest() -> None:
    settings = IndexerSettings.load(None)
    doc = encode(in_process(settings, [record(3)])[0])
    assert doc.encoded is not None
    before = orjson.loads(doc.encoded)
    after = orjson.loads(restamp(doc.encoded, b"2027-01-02T03:04:05.678Z"))
    assert after["event"].pop("ingested") == "2027-01-02T03:04:05.678Z"
    before["event"].pop("ingested")
    assert after == before
    assert list(after)[-1] == "event"  # the layout restamp relies on


def test_bulk_body_of_encoded_documents_carries_the_attempts_stamp() -> None:
    settings = IndexerSettings.load(None)
    plain = in_process(settings, [record(1)])[0]
    encoded = encode(in_process(settings, [record(1)])[0])
    stamp = "2027-01-02T03:04:05.678Z"
    plain.source["event"]["ingested"] = stamp
    body = _ndjson([_create(encoded)], stamp).split(b"\n")
    assert orjson.loads(body[0]) == {"create": {"_index": plain.index, "_id": plain.id}}
    assert orjson.loads(body[1]) == orjson.loads(orjson.dumps(plain.source))


def test_encode_leaves_a_document_without_a_stamp_as_it_is() -> None:
    doc = Document("logs-x-default", "a", {"event": {"id": "a", "ingested": "yesterday"}}, b"{}")
    assert encode(doc) is doc
    assert doc.source == {"event": {"id": "a", "ingested": "yesterday"}}


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(ConfigError, match="workers"):
        IndexerSettings.load(None, workers=0)
