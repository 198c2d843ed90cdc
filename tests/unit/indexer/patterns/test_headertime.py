"""The time a cut header starts with: the forms unknown sources write most, and the ones left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from grokpipe.indexer.patterns.header import strip_header
from grokpipe.indexer.patterns.headertime import header_time

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CASES = [
    ("2015-10-18 18:01:50,509 INFO [main] org.x.Y: hello", datetime(2015, 10, 18, 18, 1, 50, 509000, UTC)),
    ("2024-01-02T03:04:05.123+08:00 app[1]: x", datetime(2024, 1, 2, 3, 4, 5, 123000, timezone(timedelta(hours=8)))),
    ("2016-09-28 04:30:31, Info CBS Starting", datetime(2016, 9, 28, 4, 30, 31, tzinfo=UTC)),
    ("Jun 15 02:04:59 combo sshd(pam_unix)[20883]: x", datetime(2026, 6, 15, 2, 4, 59, tzinfo=UTC)),
    ("Dec  7 11:59:00 web nginx[2]: x", datetime(2026, 12, 7, 11, 59, tzinfo=UTC)),
    ("[Sun Dec 04 04:51:14 2005] [notice] workerEnv.init() ok", datetime(2005, 12, 4, 4, 51, 14, tzinfo=UTC)),
    ("17/06/09 20:10:41 INFO spark.SecurityManager: x", datetime(2017, 6, 9, 20, 10, 41, tzinfo=UTC)),
    ("11-30 16:13:38.861  2227  2227 D TextView: x", datetime(2026, 11, 30, 16, 13, 38, 861000, UTC)),
    (
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200',
        datetime(2000, 10, 10, 13, 55, 36, tzinfo=timezone(timedelta(hours=-7))),
    ),
    ("081109 204132 26 INFO dfs.FSNamesystem: x", None),  # compact: too easily another number
    ("1117842974 R02-M1-N0 RAS KERNEL INFO x", None),  # an epoch: left alone
    ("Feb 30 01:02:03 host x[1]: y", None),  # no such day
    ("plain message without a header", None),
]


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_header_time(line: str, expected: datetime | None) -> None:
    assert header_time(strip_header(line).header, NOW) == expected
