"""ElastAlert keys named with their grokpipe equivalents (fields, syntax errors: ../search/test_hints.py)."""

from __future__ import annotations

import pytest

from grokpipe.api.rules.hints import elastalert_hint


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("type", "condition: {type: any|threshold|flatline|spike|new_term|metric}"),
        ("num_events", "condition: {type: threshold, count: N}"),
        ("timeframe", "window: 5m"),
        ("filter", "query: a Lucene query"),
        ("query_key", "group_by: [field]"),
        ("alert", "notify: [notifier names"),
    ],
)
def test_each_elastalert_key_names_its_grokpipe_equivalent(key: str, expected: str) -> None:
    hint = elastalert_hint(["body", key], "extra_forbidden")
    assert hint is not None
    assert hint.startswith(f"{key!r} is ElastAlert's; in grokpipe: ")
    assert expected in hint


@pytest.mark.parametrize(
    ("loc", "error_type"), [(["body", "nonsense"], "extra_forbidden"), (["body", "type"], "missing"), ([], "x")]
)
def test_no_hint_for_other_errors(loc: list[str], error_type: str) -> None:
    assert elastalert_hint(loc, error_type) is None
