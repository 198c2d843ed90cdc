"""What each envelope item becomes: Kafka records for the spool, and counts per item type (pure).

==================  ======================  =================================================
item type           dataset                 one record per
==================  ======================  =================================================
``event``           ``sentry``              event (errors and messages; also the store endpoint)
``log``             ``sentry.log``          log record in the item's ``items`` list
``check_in``        ``sentry.checkin``      check-in (also the HTTP cron endpoint)
anything else       —                       nothing: counted per type in ``/metrics``
==================  ======================  =================================================

Transactions, spans, profiles, replays, sessions and attachments are performance, release-health and
replay data that grokpipe has no view for: indexing them would cost more disk than the errors they
come with, so they are answered 200 (an SDK retries and reports what a server refuses) and counted.

A record carries the Sentry payload as sent under ``sentry.payload``, the project under
``service.name`` and ``sentry.project``, and the envelope's ``sdk``; the indexer's ``sentry``
pipeline maps it to ECS. ``event.id`` is derived from the project and the payload's own identity,
so an SDK or a proxy that sends again never makes a second document:

* event: the project and the Sentry ``event_id`` (the payload's, else the envelope header's);
* log record: the project and a hash of the record (re-sent records are byte-for-byte the same
  JSON) with its place in the item;
* check-in: the project, ``check_in_id`` and ``status`` (``in_progress`` then ``ok`` are two).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from grokpipe.envelope import Envelope as EventEnvelope
from grokpipe.envelope import encode as encode_event
from grokpipe.envelope import event_id, record_key, utc_now_iso
from grokpipe.shipper.sentry.config import SentryProject
from grokpipe.shipper.sentry.envelope import Envelope, Item
from grokpipe.shipper.sentry.errors import Malformed, TooLarge

DATASET_EVENT: Final = "sentry"
DATASET_LOG: Final = "sentry.log"
DATASET_CHECKIN: Final = "sentry.checkin"
CHECKIN_STATUSES: Final = frozenset({"in_progress", "ok", "error"})

#: Sentry's data categories (X-Sentry-Rate-Limits) of the item types.
CATEGORIES: Final[dict[str, str]] = {
    "event": "error",
    "transaction": "transaction",
    "span": "span",
    "session": "session",
    "sessions": "session",
    "attachment": "attachment",
    "log": "log_item",
    "check_in": "monitor",
    "profile": "profile",
    "profile_chunk": "profile_chunk",
    "replay_event": "replay",
    "replay_recording": "replay",
    "replay_video": "replay",
    "client_report": "internal",
    "user_report": "user_report_v2",
    "feedback": "feedback",
    "statsd": "metric_bucket",
}

Pair = tuple[bytes, bytes]


@dataclass(slots=True)
class Accepted:
    """What one request brings: the records to spool, items per type, and the Sentry id to answer."""

    records: list[Pair] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)
    event_id: str | None = None

    def count(self, item_type: str, n: int = 1) -> None:
        self.items[item_type] = self.items.get(item_type, 0) + n


def normal_id(value: Any) -> str | None:
    """A Sentry id (``event_id``, ``check_in_id``) as 32 lowercase hex digits; None if it is not one."""
    if not isinstance(value, str):
        return None
    text = value.replace("-", "").lower()
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    return text


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{what} must be a JSON object")
    return value


class Records:
    """Builds the Kafka records of one input (its host, tags)."""

    def __init__(
        self,
        *,
        host: str,
        tags: Sequence[str] = (),
        event_bytes: int = 1024 * 1024,
        encode: Callable[[bytes, dict[str, Any]], bytes] | None = None,
    ) -> None:
        """``encode`` is the publisher's (every input's one encoding, cut to what Kafka takes); the plain
        envelope encoding when none is given."""
        self._event_bytes = event_bytes
        self._encode = encode or (lambda _key, event: encode_event(event))
        self._wrappers = {
            dataset: EventEnvelope(input_type="sentry", host=host, dataset=dataset, tags=tags)
            for dataset in (DATASET_EVENT, DATASET_LOG, DATASET_CHECKIN)
        }

    def _record(  # noqa: PLR0917 (private, called with the same six in three places)
        self, project: SentryProject, dataset: str, doc_id: str, payload: dict[str, Any], sdk: Any, item: str
    ) -> Pair:
        sentry: dict[str, Any] = {"project": project.id, "item": item, "payload": payload}
        if not isinstance(sdk, dict):
            sdk = payload.get("sdk")  # events carry their own; log and check-in envelopes have it in the header
        if isinstance(sdk, dict):
            sentry["sdk"] = sdk
        event: dict[str, Any] = {"@timestamp": utc_now_iso(), "service": {"name": project.name}, "sentry": sentry}
        self._wrappers[dataset].wrap(event, doc_id)
        # Kafka record key: a monitor's check-ins stay in order (one partition); events and log records
        # spread over the partitions by their id
        source = payload.get("monitor_slug") if item == "check_in" else doc_id
        key = record_key(project.name, str(source))
        return key, self._encode(key, event)

    def _check_size(self, item: Item) -> None:
        if len(item.payload) > self._event_bytes:
            raise TooLarge(f"{item.type} item of {len(item.payload)} bytes is over {self._event_bytes}")

    def envelope(self, project: SentryProject, envelope: Envelope) -> Accepted:
        accepted = Accepted(event_id=normal_id(envelope.event_id))
        sdk = envelope.headers.get("sdk")
        for item in envelope.items:
            kind = item.type
            if kind == "event":
                self._check_size(item)
                self._event(project, _object(item.json(), "event"), accepted, sdk, fallback=accepted.event_id)
            elif kind == "log":
                self._check_size(item)
                self._logs(project, _object(item.json(), "log item"), accepted, sdk)
                continue  # counted per record
            elif kind == "check_in":
                self._check_size(item)
                self._checkin(project, _object(item.json(), "check_in"), accepted, sdk)
            accepted.count(kind or "unknown")
        return accepted

    def store(self, project: SentryProject, body: bytes) -> Accepted:
        """The legacy store endpoint: the body is one event."""
        if len(body) > self._event_bytes:
            raise TooLarge(f"event of {len(body)} bytes is over {self._event_bytes}")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Malformed(f"store body is not JSON: {exc}") from None
        accepted = Accepted()
        self._event(project, _object(payload, "event"), accepted, payload.get("sdk"), fallback=None)
        accepted.count("event")
        return accepted

    def cron(self, project: SentryProject, slug: str, params: Mapping[str, str], body: Any) -> Accepted:
        """An HTTP check-in: ``status`` and optional ``check_in_id``, ``environment``, ``duration``
        (query parameters, or a JSON body that may carry a ``monitor_config``)."""
        payload: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
        for name in ("status", "check_in_id", "environment", "duration"):
            if name in params:
                payload[name] = params[name]
        payload["monitor_slug"] = slug
        if "duration" in payload:
            try:
                payload["duration"] = float(payload["duration"])
            except (TypeError, ValueError):
                raise Malformed("duration must be a number of seconds") from None
        accepted = Accepted()
        self._checkin(project, payload, accepted, None)
        accepted.count("check_in")
        return accepted

    def _event(
        self, project: SentryProject, payload: dict[str, Any], accepted: Accepted, sdk: Any, *, fallback: str | None
    ) -> None:
        sentry_id = normal_id(payload.get("event_id")) or fallback or uuid.uuid4().hex
        payload["event_id"] = sentry_id
        accepted.event_id = accepted.event_id or sentry_id
        doc_id = event_id("sentry", project.id, sentry_id)
        accepted.records.append(self._record(project, DATASET_EVENT, doc_id, payload, sdk, "event"))

    def _logs(self, project: SentryProject, payload: dict[str, Any], accepted: Accepted, sdk: Any) -> None:
        logs = payload.get("items")
        if not isinstance(logs, list):
            raise Malformed("log item without an items list")
        for index, log in enumerate(logs):
            record = _object(log, "log record")
            digest = hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
            doc_id = event_id("sentry.log", project.id, digest, index)
            accepted.records.append(self._record(project, DATASET_LOG, doc_id, record, sdk, "log"))
            accepted.count("log")

    def _checkin(self, project: SentryProject, payload: dict[str, Any], accepted: Accepted, sdk: Any) -> None:
        slug = payload.get("monitor_slug")
        if not isinstance(slug, str) or not slug:
            raise Malformed("check-in without a monitor_slug")
        status = payload.get("status")
        if status not in CHECKIN_STATUSES:
            raise Malformed(f"check-in status must be one of {', '.join(sorted(CHECKIN_STATUSES))}")
        given = payload.get("check_in_id")
        check_in_id = normal_id(given)
        if given is not None and check_in_id is None:
            raise Malformed("check_in_id must be a UUID")
        if check_in_id is None:
            check_in_id = uuid.uuid4().hex  # a new run; a re-sent request without an id cannot be told apart
        payload["check_in_id"] = check_in_id
        accepted.event_id = accepted.event_id or check_in_id
        doc_id = event_id("sentry.checkin", project.id, check_in_id, str(status))
        accepted.records.append(self._record(project, DATASET_CHECKIN, doc_id, payload, sdk, "check_in"))
