"""deploy/compose/kibana/*.ndjson: parses, references resolve, fields exist in the mappings."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support.deploy import COMPOSE_DIR, ROOT

from grokpipe.api.groups.store import MAPPING as GROUPS_MAPPING
from grokpipe.api.rules.store import MAPPINGS

REQUIRED = {
    ("index-pattern", "logs-*"),
    ("index-pattern", "grokpipe-alerts"),
    ("search", "PHP fatal errors"),
    ("search", "HTTP 5xx"),
    ("search", "Syslog auth failures"),
    ("search", "Parse failures"),
    ("dashboard", "grokpipe overview"),
    ("index-pattern", "grokpipe-error-groups"),
    ("dashboard", "Error groups"),
}
#: KQL `field:` / `field >= ` references (not values inside parentheses).
_KQL_FIELD = re.compile(r"(?<![\w.(])([@a-z_][\w.]*)\s*(?::|>=|<=|>|<)")


def flatten(properties: dict[str, Any], prefix: str = "") -> set[str]:
    fields = set()
    for name, spec in properties.items():
        if "properties" in spec:
            fields |= flatten(spec["properties"], f"{prefix}{name}.")
        else:
            fields.add(prefix + name)
    return fields


def objects() -> list[dict[str, Any]]:
    result = []
    for path in sorted((COMPOSE_DIR / "kibana").glob("*.ndjson")):
        result += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return result


OBJECTS = objects()
BY_ID = {(obj["type"], obj["id"]): obj for obj in OBJECTS}
VIEW_FIELDS = {
    "logs-*": flatten(
        json.loads((ROOT / "indexer" / "src" / "grokpipe" / "indexer" / "templates" / "logs.json").read_text())[
            "template"
        ]["mappings"]["properties"]
    ),
    "grokpipe-alerts": flatten(MAPPINGS["alerts"]["properties"]),
    "grokpipe-error-groups": flatten(GROUPS_MAPPING["properties"]),
}


def view_title(obj: dict[str, Any]) -> str:
    ref = next(r for r in obj["references"] if r["type"] == "index-pattern")
    title: str = BY_ID[("index-pattern", ref["id"])]["attributes"]["title"]
    return title


def used_fields(obj: dict[str, Any]) -> set[str]:
    attrs = obj["attributes"]
    source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
    fields = set(_KQL_FIELD.findall(source.get("query", {}).get("query", "")))
    fields |= set(attrs.get("columns", []))
    fields |= {sort[0] for sort in attrs.get("sort", [])}
    if "visState" in attrs:
        fields |= {agg["params"]["field"] for agg in json.loads(attrs["visState"])["aggs"] if "field" in agg["params"]}
    return fields


def test_required_objects_exist() -> None:
    present = {(obj["type"], obj["attributes"]["title"]) for obj in OBJECTS}
    assert present >= REQUIRED
    assert len(BY_ID) == len(OBJECTS), "duplicate ids"
    for obj in OBJECTS:
        if obj["type"] == "index-pattern":
            assert obj["attributes"]["timeFieldName"] == "@timestamp"


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o["id"])
def test_references_resolve(obj: dict[str, Any]) -> None:
    for ref in obj["references"]:
        assert (ref["type"], ref["id"]) in BY_ID, f"{obj['id']} -> {ref}"
    names = {ref["name"] for ref in obj["references"]}
    if obj["type"] in {"search", "visualization"}:
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["indexRefName"] in names
    if obj["type"] == "dashboard":
        panels = json.loads(obj["attributes"]["panelsJSON"])
        assert {panel["panelRefName"] for panel in panels} == names


@pytest.mark.parametrize("obj", [o for o in OBJECTS if o["type"] in {"search", "visualization"}], ids=lambda o: o["id"])
def test_fields_exist_in_the_mappings(obj: dict[str, Any]) -> None:
    missing = used_fields(obj) - VIEW_FIELDS[view_title(obj)]
    assert not missing, f"{obj['id']} uses unmapped fields {missing}"


def test_dashboard_shows_the_required_panels() -> None:
    dashboard = BY_ID[("dashboard", "grokpipe-overview")]
    shown = set().union(*(used_fields(BY_ID[(r["type"], r["id"])]) for r in dashboard["references"]))
    assert {"event.dataset", "error.grouping_key", "message", "log.origin.file.name", "log.origin.file.line"} <= shown
    assert {"http.response.status_code", "source.ip", "rule.name"} <= shown


def test_error_groups_dashboard_shows_top_new_and_regressed() -> None:
    dashboard = BY_ID[("dashboard", "grokpipe-error-groups-dashboard")]
    panels = [BY_ID[(r["type"], r["id"])] for r in dashboard["references"]]
    queries = {
        json.loads(p["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"] for p in panels
    }
    assert {"status:unresolved", 'first_seen >= "now/d"', 'regressed_at >= "now-7d"'} <= queries
    shown = set().union(*(used_fields(p) for p in panels))
    assert {"title", "culprit", "count", "owner.name", "error.grouping_key"} <= shown
