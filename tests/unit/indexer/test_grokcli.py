"""``grokpipe grok test``: captures as JSON, exit 1 on no match, 2 on a bad pattern or dataset."""

from __future__ import annotations

import argparse

import orjson
import pytest

from grokpipe.indexer import grokcli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]], str]:
    parser = argparse.ArgumentParser()
    grokcli.add_arguments(parser)
    code = grokcli.run(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return code, [orjson.loads(line) for line in out.splitlines()], err


def test_pattern_match_prints_captures(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "test", "--pattern", "%{IP:source.ip} %{INT:n:int}", "10.0.0.1 42")
    assert (code, lines) == (0, [{"source.ip": "10.0.0.1", "n": 42}])


def test_no_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "test", "--pattern", "%{IP:source.ip}", "10.0.0.1", "nope")
    assert code == 1
    assert lines[0] == {"source.ip": "10.0.0.1"}
    assert lines[1]["error"] == "no match"


def test_dataset_runs_the_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    line = '192.0.2.1 - - [22/Nov/2026:08:15:08 +0000] "GET /x HTTP/1.1" 500 12 "-" "curl"'
    code, lines, _ = run(capsys, "test", "--dataset", "nginx.access", line)
    assert code == 0
    assert lines[0]["http"] == {
        "request": {"method": "GET"},
        "version": "1.1",
        "response": {"status_code": 500, "body": {"bytes": 12}},
    }


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [(["--pattern", "%{NOPE}"], "unknown grok pattern"), (["--dataset", "no.such"], "no pipeline for dataset")],
)
def test_bad_pattern_or_dataset_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, _, err = run(capsys, "test", *argv, "x")
    assert code == 2
    assert fragment in err
