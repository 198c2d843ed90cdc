"""From a Kafka record to an Elasticsearch document: decode, run the dataset's pipeline, scrub, route."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from grokpipe.envelope import event_id
from grokpipe.indexer.dates import now_text
from grokpipe.indexer.fields import Event, add_tag
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import TAG as SCRUBBED
from grokpipe.indexer.scrub import Scrubber

_INVALID = re.compile(r"[^a-z0-9_.]")
PARSE_FAILURE_TAGS = ("_grokparsefailure", "_groktimeout", "_dateparsefailure", "_jsonparsefailure")


@dataclass(slots=True)
class Document:
    index: str
    id: str
    source: Event
    raw: bytes  #: the Kafka record value, kept for the dead-letter index


def dataset_name(value: Any) -> str:
    """A data-stream-safe dataset: lower case, no '-' (the separator in logs-<dataset>-<namespace>)."""
    name = _INVALID.sub("_", str(value or "generic").lower()).strip("._") or "generic"
    return name[:100]


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
    if "@timestamp" not in event:  # not setdefault: that would format the time for every event
        event["@timestamp"] = now_text()
    router(event)
    dataset = dataset_name(meta.get("dataset"))
    meta["dataset"] = dataset
    if scrubber is not None and scrubber.applies_to(dataset):
        scrubber(event)
        if SCRUBBED in event.get("tags", ()):
            raw = scrubber.record(raw)  # what the dead-letter index would keep
    meta["ingested"] = now_text()
    event["data_stream"] = {"type": "logs", "dataset": dataset, "namespace": namespace}
    return Document(f"logs-{dataset}-{namespace}", doc_id, event, raw)
