"""The one index template file: shape the compose setup service and Elasticsearch rely on."""

from __future__ import annotations

from typing import Any

from grokpipe.indexer.template import logs_template
from grokpipe.indices import downgrade


def properties(mapping: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in mapping.get("properties", {}).items():
        if "properties" in spec:
            out |= properties(spec, f"{prefix}{name}.")
        else:
            out[f"{prefix}{name}"] = spec.get("type", "object")
    return out


def test_logs_template_is_composable_data_stream_with_priority_200() -> None:
    body = logs_template()
    assert body["index_patterns"] == ["logs-*-*"]
    assert body["priority"] == 200
    assert body["data_stream"] == {}


def test_ecs_fields_we_set_are_mapped() -> None:
    fields = properties(logs_template()["template"]["mappings"])
    expected = {
        "@timestamp": "date",
        "source.ip": "ip",
        "http.request.method": "keyword",
        "url.original": "keyword",
        "http.version": "keyword",
        "http.response.status_code": "long",
        "http.response.body.bytes": "long",
        "http.request.referrer": "keyword",
        "user_agent.original": "keyword",
        "log.level": "keyword",
        "error.type": "keyword",
        "error.message": "match_only_text",
        "error.grouping_key": "keyword",
        "error.title": "match_only_text",
        "error.culprit": "keyword",
        "log.origin.function": "keyword",
        "log.origin.file.name": "keyword",
        "log.origin.file.line": "long",
        "process.name": "keyword",
        "process.pid": "long",
        "event.duration": "long",
        "event.id": "keyword",
        "log.file.inode": "keyword",
        "log.offset": "long",
        "message": "match_only_text",
    }
    assert {name: fields.get(name) for name in expected} == expected


def test_downgrade_replaces_types_older_servers_lack() -> None:
    fields = properties(downgrade(logs_template())["template"]["mappings"])
    assert "match_only_text" not in fields.values()
    assert "wildcard" not in fields.values()
    assert fields["message"] == "text"
    error = downgrade(logs_template())["template"]["mappings"]["properties"]["error"]["properties"]
    assert error["title"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
