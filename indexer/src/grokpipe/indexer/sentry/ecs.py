"""A Sentry payload (``sentry.payload``, as the shipper's Sentry input sent it) as ECS fields (pure).

==========================  =================================================================
ECS field                   from the Sentry event
==========================  =================================================================
``@timestamp``,             ``timestamp`` (RFC 3339 string or float seconds); the shipper's
``event.created``           receive time stays in ``@timestamp`` when there is none
``service.name``            the project's name (set by the shipper)
``service.environment``     ``environment``
``service.version``         ``release``
``host.name``               ``server_name`` (else the shipper's)
``log.level``, ``log.logger``  ``level``, ``logger``
``error.type``, ``error.message``  the last exception raised (``exception.values[-1]``)
``error.stack_trace``       the whole chain rendered like the language's traceback (``traceback``)
``error.grouping_key``, ``error.title``, ``error.culprit``  ``grouping``
``message``                 ``error.title``'s text: the exception or the log entry's message
``labels.*``                ``tags`` (dots in names become ``_``)
``user.id/email/name``      ``user``; ``source.ip`` from ``user.ip_address``
``url.*``, ``http.*``, ``user_agent.original``  ``request`` (the indexer's scrubber masks cookies,
                            secret headers and query parameters such as ``sentry_secret``)
``sentry.sdk``, ``sentry.event_id``, ``sentry.platform``  as sent
``sentry.extra``            one ``flattened`` field: contexts, breadcrumbs, extra, the request's
                            headers and data, frame variables, modules; never mapped field by field
==========================  =================================================================

Log records (``sentry.log``) become ``message`` (``body``), ``log.level``, ``trace.id`` and their
attributes in ``sentry.extra``; check-ins (``sentry.checkin``) become ``sentry.checkin.*`` (slug,
status, id, duration), ``event.outcome`` and ``event.duration``.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from grokpipe.envelope import format_timestamp
from grokpipe.indexer.fields import Event, put
from grokpipe.indexer.sentry import grouping
from grokpipe.indexer.sentry.traceback import frames_of, render

EXTRA_FIELD = "sentry.extra"
_LEVELS = {"fatal": "critical", "warn": "warning"}
_CHECKIN_OUTCOME = {"ok": "success", "error": "failure"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def timestamp(value: Any) -> str | None:
    """An SDK's ``timestamp``: float seconds or an RFC 3339 string, as ISO 8601 UTC with ms."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_timestamp(datetime.fromtimestamp(float(value), UTC))
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return format_timestamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _labels(tags: Any) -> dict[str, str]:
    pairs = tags.items() if isinstance(tags, dict) else tags if isinstance(tags, list) else []
    labels: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str) and pair[1] is not None:
            labels[pair[0].replace(".", "_")] = str(pair[1])
    return labels


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _common(event: Event, payload: dict[str, Any], extra: dict[str, Any]) -> None:
    moment = timestamp(payload.get("timestamp"))
    if moment:
        event["@timestamp"] = moment
        put(event, "event.created", moment)
    for path, key in (("service.environment", "environment"), ("service.version", "release")):
        if _text(payload.get(key)):
            put(event, path, payload[key])
    if _text(payload.get("server_name")):
        put(event, "host.name", payload["server_name"])
    labels = _labels(payload.get("tags"))
    if labels:
        event["labels"] = {**event.get("labels", {}), **labels}
    for name in ("contexts", "breadcrumbs", "extra", "modules", "debug_meta"):
        if payload.get(name):
            extra[name] = payload[name]


def _user(event: Event, user: Any) -> None:
    if not isinstance(user, dict):
        return
    for path, key in (("user.id", "id"), ("user.email", "email"), ("user.name", "username")):
        value = user.get(key)
        if isinstance(value, str | int) and value != "":
            put(event, path, str(value))
    address = _text(user.get("ip_address"))
    if address and _is_ip(address):
        put(event, "source.ip", address)


def _request(event: Event, request: Any, extra: dict[str, Any]) -> None:
    if not isinstance(request, dict):
        return
    url = _text(request.get("url"))
    query = request.get("query_string")
    query_text = _text(query) if not isinstance(query, list | dict) else ""
    if url:
        full = f"{url}?{query_text}" if query_text and "?" not in url else url
        put(event, "url.original", full)
        try:
            parts = urlsplit(full)
            if parts.path:
                put(event, "url.path", parts.path)
            if parts.hostname:
                put(event, "url.domain", parts.hostname)
        except ValueError:
            pass
    if query_text:
        put(event, "url.query", query_text)
    if _text(request.get("method")):
        put(event, "http.request.method", request["method"].upper())
    headers = request.get("headers")
    if isinstance(headers, dict):
        agent = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == "user-agent"), None)
        if isinstance(agent, str):
            put(event, "user_agent.original", agent)
    kept = {k: request[k] for k in ("headers", "cookies", "data", "env") if request.get(k)}
    if kept:
        extra["request"] = kept


def _frame_vars(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for exc in chain:
        for frame in frames_of(exc):
            variables = frame.pop("vars", None)
            if variables:
                found.append({"function": _text(frame.get("function")), "vars": variables})
    return found


def event_fields(event: Event, payload: dict[str, Any], project: str) -> None:
    """An ``event`` item (error or message), in place."""
    extra: dict[str, Any] = {}
    _common(event, payload, extra)
    chain = grouping.exception_chain(payload)
    platform = _text(payload.get("platform")) or "other"
    variables = _frame_vars(chain)
    if variables:
        extra["frame_vars"] = variables
    level = _text(payload.get("level")).lower() or "error"
    put(event, "log.level", _LEVELS.get(level, level))
    if _text(payload.get("logger")):
        put(event, "log.logger", payload["logger"])
    if chain:
        last = chain[-1]
        put(event, "error.type", _text(last.get("type")) or "Error")
        if _text(last.get("value")):
            put(event, "error.message", last["value"])
        put(event, "error.stack_trace", render(chain, platform))
    else:
        message = grouping.message_of(payload)
        if message:
            put(event, "error.message", message)
    found = grouping.group(payload, project=project)
    put(event, "error.grouping_key", found.key)
    put(event, "error.title", found.title)
    if found.culprit:
        put(event, "error.culprit", found.culprit)
    event["message"] = found.title
    _user(event, payload.get("user"))
    _request(event, payload.get("request"), extra)
    sentry = event.setdefault("sentry", {})
    sentry["event_id"] = _text(payload.get("event_id"))
    sentry["platform"] = platform
    if isinstance(payload.get("fingerprint"), list):
        sentry["fingerprint"] = [str(f) for f in payload["fingerprint"]]
    if extra:
        put(event, EXTRA_FIELD, extra)


def _attribute_values(attributes: Any) -> dict[str, Any]:
    if not isinstance(attributes, dict):
        return {}
    return {k: v.get("value") if isinstance(v, dict) else v for k, v in attributes.items() if isinstance(k, str)}


def log_fields(event: Event, record: dict[str, Any]) -> None:
    """One record of a ``log`` item, in place."""
    attributes = _attribute_values(record.get("attributes"))
    payload = {
        "timestamp": record.get("timestamp"),
        "environment": attributes.get("sentry.environment"),
        "release": attributes.get("sentry.release"),
        "server_name": attributes.get("server.address"),
    }
    _common(event, payload, {})
    event["message"] = _text(record.get("body"))
    level = _text(record.get("level")).lower()
    if level:
        put(event, "log.level", _LEVELS.get(level, level))
    logger = attributes.get("logger.name")
    if isinstance(logger, str) and logger:
        put(event, "log.logger", logger)
    if _text(record.get("trace_id")):
        put(event, "trace.id", record["trace_id"])
    template = attributes.get("sentry.message.template")
    if isinstance(template, str) and template:
        put(event, "sentry.message_template", template)
    if attributes:
        put(event, EXTRA_FIELD, {"attributes": attributes})


def checkin_fields(event: Event, checkin: dict[str, Any]) -> None:
    """A ``check_in`` item or an HTTP check-in, in place."""
    slug, status = _text(checkin.get("monitor_slug")), _text(checkin.get("status"))
    put(event, "sentry.checkin", {"id": _text(checkin.get("check_in_id")), "monitor_slug": slug, "status": status})
    if _text(checkin.get("environment")):
        put(event, "service.environment", checkin["environment"])
    duration = checkin.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        put(event, "sentry.checkin.duration", float(duration))
        put(event, "event.duration", int(duration * 1_000_000_000))
    if status in _CHECKIN_OUTCOME:
        put(event, "event.outcome", _CHECKIN_OUTCOME[status])
    event["message"] = f"check-in {slug} {status}"
    extra = {k: checkin[k] for k in ("monitor_config", "contexts") if checkin.get(k)}
    if extra:
        put(event, EXTRA_FIELD, extra)


def apply(event: Event) -> None:
    """``sentry.payload`` (popped) as ECS fields, by ``sentry.item``; an event without one passes."""
    sentry = event.get("sentry")
    if not isinstance(sentry, dict):
        return
    payload = sentry.pop("payload", None)
    if not isinstance(payload, dict):
        return
    item = sentry.get("item")
    if item == "log":
        log_fields(event, payload)
    elif item == "check_in":
        checkin_fields(event, payload)
    else:
        project = event.get("service", {}).get("name", "") if isinstance(event.get("service"), dict) else ""
        event_fields(event, payload, str(project))
