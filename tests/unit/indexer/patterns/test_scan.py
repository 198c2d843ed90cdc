"""grokpipe patterns scan: the JSON-lines contract and the table."""

from __future__ import annotations

import random
import string
from pathlib import Path

import orjson
import pytest

from grokpipe.cli import main
from grokpipe.indexer.patterns.scan import assign

LINES = [
    "Dec 10 07:07:38 LabSZ sshd[24206]: Invalid user test9 from 52.80.34.196",
    "Dec 10 07:11:42 LabSZ sshd[24224]: Invalid user chen from 202.100.179.208",
    "Dec 10 07:28:03 LabSZ sshd[24245]: Invalid user pgadmin from 112.95.230.3",
    "Dec 10 07:28:25 LabSZ sshd[24265]: Invalid user utsims from 112.95.230.3",
    "Dec 10 07:27:52 LabSZ sshd[24235]: Failed password for root from 112.95.230.3 port 45378 ssh2",
    "Dec 10 07:28:08 LabSZ sshd[24247]: Failed password for root from 112.95.230.3 port 55618 ssh2",
]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_json_lines_one_object_per_event_in_file_order(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["patterns", "scan", "--json-lines", str(log)]) == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert all(set(row) == {"line", "pattern", "template"} for row in rows)
    assert len({row["pattern"] for row in rows[:4]}) == 1
    assert rows[0]["template"] == "Invalid user <*> from <*>"
    assert rows[4]["pattern"] == rows[5]["pattern"] != rows[0]["pattern"]


def test_table_most_frequent_first(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["patterns", "scan", str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["count", "level", "template"]
    assert out[1].split()[0] == "4"
    assert "Invalid user <*> from <*>" in out[1]
    assert out[2].split()[0] == "2"


def test_bad_bytes_and_huge_lines_get_a_pattern(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "garbage.log"
    path.write_bytes(b"\xff\xfe\x00binary\x01\n" + b"x" * (1 << 20) + b"\n" + b" t" * 100_000 + b"\n")
    assert main(["patterns", "scan", "--json-lines", str(path)]) == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3]


def test_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["patterns", "scan", str(tmp_path / "nope.log")]) == 2
    assert "nope.log" in capsys.readouterr().err


def test_a_flood_of_distinct_lines_is_mined_with_bounded_work() -> None:
    # a random word in every line: every line its own pattern, and the alignment budget keeps the
    # mining linear in the number of keys (no assertion on time: the bound is on comparisons)
    rng = random.Random(7)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(6)) for _ in range(40_000)]
    lines = [f"2026-01-01 10:00:00 INFO app: start {' '.join(words[i * 8 : i * 8 + 3 + i % 5])}" for i in range(5000)]
    assigned = assign(lines)
    assert [event.line for event, _ in assigned] == list(range(1, 5001))


PHP = [
    "[01-Dec-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /x/a.php:12",
    "Stack trace:",
    "#0 {main}",
    "  thrown in /x/a.php on line 12",
    "[01-Dec-2026 10:00:05 UTC] PHP Warning:  Division by zero in /var/www/b.php on line 7",
    "[01-Dec-2026 10:00:09 UTC] PHP Warning:  Division by zero in /var/www/b.php on line 7",
]


def test_a_dataset_cuts_events_and_names_the_message_as_the_indexer_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "php_errors.log"
    path.write_text("\n".join(PHP) + "\n", encoding="utf-8")
    assert main(["patterns", "scan", "--dataset", "php.error", "--json-lines", str(path)]) == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["line"] for row in rows] == [1, 5, 6]  # the stack trace is part of its event
    assert rows[0]["template"] == "PHP Fatal error: Uncaught Error: Call to undefined function foo() in <*>"
    assert rows[1]["pattern"] == rows[2]["pattern"]
    assert rows[1]["template"] == "PHP Warning: Division by zero in <*> on line <*>"  # no time header, a path a value


def test_an_unknown_dataset_is_an_error_naming_the_known_ones(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["patterns", "scan", "--dataset", "no.such", str(log)]) == 2
    err = capsys.readouterr().err
    assert "no pipeline for dataset 'no.such'" in err
    assert "php.error" in err
    assert "generic" in err
