"""The Logs page's pure parts: a filter click's query, a saved search's link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from grokpipe.api.console.routes.logs import refine, saved_link
from grokpipe.api.search.schemas import SavedSearch


@pytest.mark.parametrize(
    ("query", "field", "value", "include", "expected"),
    [
        ("", "url.path", "/cart.php", True, 'url.path:"/cart.php"'),
        ("", "url.path", "/cart.php", False, 'NOT url.path:"/cart.php"'),
        ("event.dataset:nginx.access", "http.response.status_code", 500, True,
         'event.dataset:nginx.access AND http.response.status_code:"500"'),
        ("a:1 OR b:2", "host.name", "web-1", False, '(a:1 OR b:2) AND NOT host.name:"web-1"'),
        ("", "message", 'say "hi" \\o/', True, 'message:"say \\"hi\\" \\\\o/"'),
    ],
)  # fmt: skip
def test_refine(query: str, field: str, value: object, include: bool, expected: str) -> None:
    assert refine(query, field, value, include=include) == expected


def test_saved_link_keeps_the_range() -> None:
    quick = SavedSearch(id="a", created="x", name="500s", query="q", since="1h")
    assert saved_link(quick) == {"q": "q", "index": "logs-*", "since": "1h"}
    start, end = datetime(2026, 12, 7, 8, 0, tzinfo=UTC), datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    absolute = SavedSearch(id="b", created="x", name="incident", query="q", since=None, start=start, end=end)
    assert saved_link(absolute) == {
        "q": "q",
        "index": "logs-*",
        "since": "custom",
        "start": "2026-12-07T08:00",
        "until": "2026-12-07T09:30",
    }
