"""From a Kafka record to an Elasticsearch document: decode, run the dataset's pipeline, scrub, route."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from grokpipe.envelope import event_id
from grokpipe.indexer.dates import now_text
from grokpipe.indexer.fields import Event, add_tag
from grokpipe.indexer.patterns.step import PatternKeys
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import TAG as SCRUBBED
from grokpipe.indexer.scrub import Scrubber

_INVALID = re.compile(r"[^a-z0-9_.]")
PARSE_FAILURE_TAGS = ("_grokparsefailure", "_groktimeout", "_dateparsefailure", "_jsonparsefailure")


#: How an encoded source ends: ``"<event.ingested, 24 characters>"}}`` (see :func:`encode`).
_STAMP_LENGTH = len("2026-11-22T08:15:08.123Z")
_TAIL = _STAMP_LENGTH + len('"}}')
_DATASETS: dict[str, str] = {}
#: log.pattern.key / log.pattern.template on every event (stateless: the same in every process).
_PATTERNS = PatternKeys()


@dataclass(slots=True)
class Document:
    index: str
    id: str
    #: The document; once :func:`encode` d, only what the consumer and the dead-letter index read of
    #: it (``event.id``, ``event.dataset``, ``tags``): the whole of it is then in ``encoded``.
    source: Event
    raw: bytes  #: the Kafka record value, kept for the dead-letter index
    encoded: bytes | None = None  #: the source as JSON, ``event.ingested`` at its end (:func:`encode`)


def dataset_name(value: Any) -> str:
    """A data-stream-safe dataset: lower case, no '-' (the separator in logs-<dataset>-<namespace>)."""
    known = _DATASETS.get(value) if type(value) is str else None  # a topic carries a handful of datasets
    if known is not None:
        return known
    name = (_INVALID.sub("_", str(value or "generic").lower()).strip("._") or "generic")[:100]
    if type(value) is str and len(_DATASETS) < 1000:
        _DATASETS[value] = name
    return name


def encode(doc: Document) -> Document:
    """``doc`` with its source encoded as JSON, for a parse worker to hand it over as bytes (a
    pickled event costs the receiving process ~10x more than the bytes, and the bulk writer would
    encode it again anyway). ``event`` goes last, and ``event.ingested`` last in it, so that
    :func:`restamp` can set the time of each bulk attempt without decoding. A document whose
    ``event.ingested`` is not a 24-character stamp stays as it is."""
    source = doc.source
    meta = source.get("event")
    if doc.encoded is not None or not isinstance(meta, dict):
        return doc
    ingested = meta.pop("ingested", None)
    if not isinstance(ingested, str) or len(ingested) != _STAMP_LENGTH:
        if ingested is not None:
            meta["ingested"] = ingested
        return doc
    meta["ingested"] = ingested
    source["event"] = source.pop("event")
    encoded = orjson.dumps(source, default=str, option=orjson.OPT_NON_STR_KEYS)
    summary: Event = {"event": {"id": doc.id, "dataset": meta.get("dataset")}}
    tags = source.get("tags")
    if tags:
        summary["tags"] = tags
    return Document(doc.index, doc.id, summary, doc.raw, encoded)


def restamp(encoded: bytes, stamp: bytes) -> bytes:
    """An :func:`encode` d source with ``event.ingested`` set to ``stamp`` (UTC ISO 8601)."""
    if len(stamp) != _STAMP_LENGTH:  # not before year 1000 nor after 9999: the general way, then
        source = orjson.loads(encoded)
        source["event"]["ingested"] = stamp.decode()
        return orjson.dumps(source)
    return encoded[:-_TAIL] + stamp + encoded[-3:]


def build(
    raw: bytes,
    topic: str,
    partition: int,
    offset: int,
    *,
    router: Router,
    namespace: str,
    scrubber: Scrubber | None = None,
) -> Document:
    """Never fails: an undecodable record becomes an event with the raw text and a failure tag.

    ``scrubber`` masks credentials once the pipeline has parsed the event (the consumer always passes
    one; ``scrub.enabled`` and ``scrub.disable_datasets`` decide whether it does anything).
    """
    try:
        event = orjson.loads(raw)
        if not isinstance(event, dict):
            raise TypeError("not a JSON object")
    except (orjson.JSONDecodeError, TypeError):
        event = {
            "message": raw.decode("utf-8", errors="replace"),
            "event": {"original": raw.decode("utf-8", errors="replace")},
        }
        add_tag(event, "_jsonparsefailure")
    meta = event.get("event")
    if not isinstance(meta, dict):
        meta = {}
        event["event"] = meta
    # A record without an id (not from our shipper) gets one from its Kafka position: stable on replay.
    doc_id = str(meta.get("id") or event_id("kafka", topic, partition, offset))
    meta["id"] = doc_id
    untimed = "@timestamp" not in event
    if untimed:  # not setdefault: that would format the time for every event
        event["@timestamp"] = now_text()
    named = meta.get("dataset")
    parsed = type(named) is str and router.pipeline_for(named) is not None
    router(event)
    dataset = dataset_name(meta.get("dataset"))
    meta["dataset"] = dataset
    if scrubber is not None and scrubber.applies_to(dataset):
        scrubber(event)
        if SCRUBBED in event.get("tags", ()):
            raw = scrubber.record(raw)  # what the dead-letter index would keep
    _PATTERNS(event, parsed=parsed, untimed=untimed)
    meta["ingested"] = now_text()
    event["data_stream"] = {"type": "logs", "dataset": dataset, "namespace": namespace}
    return Document(f"logs-{dataset}-{namespace}", doc_id, event, raw)
