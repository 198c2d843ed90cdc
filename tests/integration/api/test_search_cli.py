"""``grokpipe search`` against a real api on the embedded server: the table, JSON lines, stats, a refused
query with its caret, and ``--follow`` picking up what is indexed later, once."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from elasticsearch import Elasticsearch, helpers
from support.api import READ_KEY, FakeClock, api_settings, doc, serve
from support.search import access_index

from grokpipe import cli, searchcli
from grokpipe.api.app import create_app
from grokpipe.api.search.timerange import iso
from grokpipe.embedded import EmbeddedStack


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    return access_index(es)


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def api_url(stack: EmbeddedStack, module_clock: FakeClock) -> Iterator[str]:
    with serve(create_app(api_settings(stack), clock=module_clock)) as url:
        yield url


def _run(capsys: pytest.CaptureFixture[str], api_url: str, logs: str, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["search", *argv, "--index", logs, "--url", api_url, "--key", READ_KEY])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_newest_first(capsys: pytest.CaptureFixture[str], api_url: str, logs: str) -> None:
    code, out, _ = _run(capsys, api_url, logs, "http.response.status_code:500", "--since", "1h", "--limit", "3")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["@timestamp", "event.dataset", "host.name", "message"]
    assert len(lines) == 4
    assert [line.split()[-1] for line in lines[1:]] == ["0", "10", "20"]  # "GET request <i>", newest first


def test_json_lines_with_fields(capsys: pytest.CaptureFixture[str], api_url: str, logs: str) -> None:
    code, out, _ = _run(
        capsys,
        api_url,
        logs,
        "url.path:\\/cart.php",
        "--since",
        "1h",
        "--fields",
        "url.path,http.request.duration",
        "--json-lines",
        "--limit",
        "600",
    )
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(rows) == 40
    assert {tuple(sorted(r)) for r in rows} == {("@timestamp", "http.request.duration", "url.path")}


def test_stats_table(capsys: pytest.CaptureFixture[str], api_url: str, logs: str) -> None:
    code, out, _ = _run(
        capsys, api_url, logs, "", "--since", "1h", "--stats", "http.request.duration", "--by", "url.path"
    )
    assert code == 0
    assert out.splitlines()[0].split() == ["url.path", "COUNT", "AVG", "MIN", "MAX", "P50", "P90", "P95", "P99"]
    assert {line.split()[0] for line in out.splitlines()[1:5]} == {"(all)", "/", "/cart.php", "/api/items"}
    assert "percentiles from a histogram, each within" in out


def test_no_match_says_so_on_stderr(capsys: pytest.CaptureFixture[str], api_url: str, logs: str) -> None:
    code, out, err = _run(capsys, api_url, logs, "http.response.status_code:418", "--since", "1h")
    assert (code, out) == (0, "")
    assert "no events match" in err


def test_refused_query_shows_where(capsys: pytest.CaptureFixture[str], api_url: str, logs: str) -> None:
    code, _, err = _run(capsys, api_url, logs, "http.response.status_code:abc")
    assert code == 1
    assert "numeric" in err
    assert err.rstrip().endswith("^")


def test_no_key_is_a_usage_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROKPIPE_API_KEY", raising=False)
    assert cli.main(["search", "x"]) == 2
    assert "GROKPIPE_API_KEY" in capsys.readouterr().err


def test_follow_prints_each_new_event_once(api_url: str, es: Elasticsearch, logs: str, module_clock: FakeClock) -> None:
    marker = f"follow-{uuid.uuid4().hex[:6]}"

    def add(n: int) -> None:
        module_clock.advance(timedelta(seconds=1))
        at = module_clock.now
        body: dict[str, Any] = doc(at, message=f"{marker} {n}", event__id=f"{marker}-{n}", event__ingested=iso(at))
        helpers.bulk(es, [{"_index": logs, "_id": f"{marker}-{n}", "_source": body}], refresh=True)
        module_clock.advance(timedelta(seconds=1))

    client = searchcli.SearchClient(api_url, READ_KEY)
    try:
        batches = client.follow({"q": f'"{marker}"', "index": logs}, start=iso(module_clock.now), interval=0)
        add(1)
        assert [e["fields"]["message"] for e in next(batches)] == [f"{marker} 1"]
        add(2)
        add(3)
        assert [e["fields"]["message"] for e in next(batches)] == [f"{marker} 2", f"{marker} 3"]
    finally:
        client.close()
    out = io.StringIO()
    searchcli.Printer(out, ["message"], json_lines=False).print([{"timestamp": "t", "fields": {"message": "a\nb"}}])
    assert out.getvalue().splitlines()[1].endswith("a ⏎ b")
