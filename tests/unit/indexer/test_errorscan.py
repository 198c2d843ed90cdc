"""``grokpipe errors scan`` as a user runs it: a subprocess on files the test writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

NGINX = """\
2026/12/02 14:00:00 [error] 1234#0: *5 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /home/wwwroot/api.example.com/app/Http/Controller.php:57
Stack trace:
#0 {main}
  thrown in /home/wwwroot/api.example.com/app/Http/Controller.php on line 57" while reading response header from upstream, client: 192.0.2.1, server: api.example.com, request: "GET / HTTP/1.1"
2026/12/02 14:05:00 [warn] 1234#0: *6 an upstream response is buffered to a temporary file
2026/12/02 14:10:00 [error] 1234#0: *7 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /home/wwwroot/api.example.com/app/Http/Controller.php:57" while reading response header from upstream, client: 192.0.2.9
2026/12/02 14:20:00 [error] 1234#0: *8 connect() to 10.0.0.3:9000 failed (111: Connection refused) while connecting to upstream, client: 192.0.2.4, server: api.example.com
"""  # noqa: E501
PYTHON = """\
2026-12-02 14:00:00,100 INFO billing.worker started
2026-12-02 14:00:01,200 ERROR billing.db connect to 10.0.0.3:5432 timed out after 3000ms
2026-12-02 14:00:02,300 ERROR billing.worker Invoice 42 failed
Traceback (most recent call last):
  File "/srv/app/billing/worker.py", line 77, in process
    total = charge(invoice)
  File "/srv/app/billing/charge.py", line 31, in charge
    return requests.post(url)
  File "/srv/venv/lib/python3.11/site-packages/requests/api.py", line 115, in post
    return request("post", url)
requests.exceptions.ConnectionError: Max retries exceeded
2026-12-02 14:00:03,400 ERROR billing.db connect to 10.0.0.4:5432 timed out after 2500ms
"""
JAVA = """\
2026-12-02 14:00:00.123 ERROR [main] com.example.shop.CartController - Request failed
java.lang.NullPointerException: cart 17 is null
\tat com.example.shop.CartController.view(CartController.java:57)
\tat java.base/java.lang.Thread.run(Thread.java:1583)
2026-12-02 14:00:01.123 INFO [main] com.example.shop.CartController - ok
"""


def scan(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grokpipe.cli", "errors", "scan", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def logs(tmp_path: Path) -> dict[str, Path]:
    files = {"nginx": NGINX, "python": PYTHON, "java": JAVA}
    paths = {name: tmp_path / f"{name}.log" for name in files}
    for name, text in files.items():
        paths[name].write_text(text)
    return paths


def test_json_lines_one_object_per_grouped_event(logs: dict[str, Path]) -> None:
    done = scan("--json-lines", logs["nginx"], logs["python"], logs["java"])
    assert done.returncode == 0, done.stderr
    records = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(r["line"], r["culprit"], r["title"]) for r in records] == [
        (1, "/home/wwwroot/api.example.com/app/Http/Controller.php:57", "Error: Call to undefined function foo()"),
        (6, "/home/wwwroot/api.example.com/app/Http/Controller.php:57", "Error: Call to undefined function foo()"),
        (7, "nginx.error", "connect() to <host:port> failed (<int>: Connection refused) while connecting to upstream"),
        (2, "billing.db", "connect to <host:port> timed out after <duration>"),
        (3, "/srv/app/billing/charge.py in charge", "requests.exceptions.ConnectionError: Max retries exceeded"),
        (12, "billing.db", "connect to <host:port> timed out after <duration>"),
        (1, "com.example.shop.CartController.view", "java.lang.NullPointerException: cart <int> is null"),
    ]
    assert all(set(r) == {"line", "fingerprint", "title", "culprit"} for r in records)
    assert records[0]["fingerprint"] == records[1]["fingerprint"]
    assert records[3]["fingerprint"] == records[5]["fingerprint"]
    assert len({r["fingerprint"] for r in records}) == 5


def test_table_most_frequent_first(logs: dict[str, Path]) -> None:
    done = scan(logs["python"], logs["nginx"])
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["COUNT", "FIRST", "SEEN", "LAST", "SEEN", "LEVEL", "CULPRIT", "TITLE"]
    assert [row.split()[:4] for row in rows] == [
        ["2", "2026-12-02T14:00:00.000Z", "2026-12-02T14:10:00.000Z", "critical"],
        ["2", "2026-12-02T14:00:01.200Z", "2026-12-02T14:00:03.400Z", "error"],
        ["1", "2026-12-02T14:00:02.300Z", "2026-12-02T14:00:02.300Z", "error"],
        ["1", "2026-12-02T14:20:00.000Z", "2026-12-02T14:20:00.000Z", "error"],
    ]
    assert rows[0].endswith(
        "/home/wwwroot/api.example.com/app/Http/Controller.php:57  Error: Call to undefined function foo()"
    )
    assert "billing.db" in rows[1]


def test_dataset_forced(logs: dict[str, Path], tmp_path: Path) -> None:
    # php-fpm's log detected on its own, and the same fatal error as nginx's: one fingerprint
    php = tmp_path / "php-fpm.log"
    php.write_text(
        "[02-Dec-2026 14:00:00 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function foo() in "
        "/home/wwwroot/api.example.com/app/Http/Controller.php:57\nStack trace:\n#0 {main}\n"
    )
    detected = {
        orjson.loads(line)["fingerprint"] for line in scan("--json-lines", php, logs["nginx"]).stdout.splitlines()
    }
    assert len(detected) == 2  # the PHP fatal error (both files) and nginx's connect() error
    forced = scan("--json-lines", "--dataset", "syslog", logs["python"])
    assert forced.returncode == 0
    assert forced.stdout == ""  # as syslog bodies, without severities, nothing is an error


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [(["--dataset", "no.such", "x.log"], "no pipeline for dataset 'no.such'"), (["/no/such/file.log"], "No such file")],
)
def test_errors_exit_2(argv: list[str], fragment: str) -> None:
    done = scan(*argv)
    assert done.returncode == 2
    assert fragment in done.stderr


def test_each_files_dataset_is_named_on_stderr(logs: dict[str, Path]) -> None:
    done = scan(logs["nginx"], logs["python"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"grokpipe errors: {logs['nginx']}: dataset nginx.error (guessed from its first 200 lines; "
        "--dataset to choose)",
        f"grokpipe errors: {logs['python']}: dataset python.traceback (guessed from its first 200 lines; "
        "--dataset to choose)",
    ]
    forced = scan("--dataset", "nginx.error", logs["nginx"])
    assert forced.stderr == f"grokpipe errors: {logs['nginx']}: dataset nginx.error (--dataset)\n"


def test_a_reader_that_stops_early_gets_no_broken_pipe_message(tmp_path: Path) -> None:
    """``grokpipe errors scan --json-lines big.log | head -1``: far more output than a pipe holds."""
    big = tmp_path / "big.log"
    big.write_text(NGINX * 2000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "grokpipe.cli", "errors", "scan", "--json-lines", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert orjson.loads(first)["line"] == 1
    assert "Broken pipe" not in stderr
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


RAS = """\
- 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt
- 1118536959 2005.06.11 R21-M1-N2-C:J07-U11 2005-06-11-17.42.39.794840 R21-M1-N2-C:J07-U11 RAS KERNEL FATAL data TLB error interrupt
- 1118537212 2005.06.11 R04-M0-NE-C:J05-U01 2005-06-11-17.46.52.020435 R04-M0-NE-C:J05-U01 RAS KERNEL FATAL data TLB error interrupt
- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected
- 1117955341 2005.06.05 R25-M0-N7-C:J02-U01 2005-06-05-00.09.01.903373 R25-M0-N7-C:J02-U01 RAS KERNEL INFO generating core.2275
"""  # noqa: E501


def test_a_file_no_pipeline_fits_is_grouped_by_pattern(tmp_path: Path) -> None:
    # docker never reports a parse failure: it must not win a file it does not understand; one
    # kernel error on three nodes is one group, titled by its pattern
    path = tmp_path / "ras.log"
    path.write_text(RAS)
    result = scan("--json-lines", path)
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3]
    assert len({r["fingerprint"] for r in records}) == 1
    assert records[0]["title"] == "data TLB error interrupt"
