"""The prospector: where a harvester starts (a pure decision, table-tested), and one scan over
real files in a temp dir: new, resumed, renamed, gone, rewritten, forgotten."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from grokpipe.envelope import event_id
from grokpipe.shipper.file import identity
from grokpipe.shipper.file.config import FileInputSettings
from grokpipe.shipper.file.discovery import Found, watched_dirs
from grokpipe.shipper.file.harvester import Harvester
from grokpipe.shipper.file.prospector import Prospector, Start, plan_start
from grokpipe.shipper.file.registry import FileState, Registry

NOW = 1_800_000_000.0
FP = identity.Fingerprint("ab" * 16, 12)
FOUND = Found("/var/log/app.log", device=1, inode=2, size=100, mtime=NOW - 60)
KEY = identity.stream_id(1, 2, FP)


def settings(**overrides: Any) -> FileInputSettings:
    return FileInputSettings.model_validate({"type": "file", "paths": ["/var/log/*.log"], **overrides})


def state(key: str = KEY, stream: str = KEY, device: int = 1, inode: int = 2, offset: int = 50) -> FileState:
    return FileState(key, stream, device, inode, FP.digest, FP.length, "/var/log/app.log", offset, NOW - 120)


def new(stream: str = KEY, offset: int = 0) -> Start:
    return Start(FileState(KEY, stream, 1, 2, FP.digest, FP.length, "/var/log/app.log", offset, NOW), new=True)


COPY_ORIGINAL = state(key="orig", stream="orig-stream", inode=9, offset=70)


@pytest.mark.parametrize(
    ("known", "same_content", "size", "mtime", "options", "first_scan", "expected"),
    [
        # known to the registry: resume where Kafka acknowledged, or nothing to do
        (state(offset=50), [], 100, NOW, {}, False, Start(state(offset=50))),
        (state(offset=100), [], 100, NOW, {}, False, None),
        (state(offset=50), [], 100, NOW - 10**7, {}, False, Start(state(offset=50))),  # idle, but known
        # shrank below the offset with the same first line: truncated, a new stream, saved at once
        (
            state(offset=80),
            [],
            40,
            NOW,
            {},
            False,
            Start(
                FileState(KEY, event_id(KEY, "truncated", 80)[:24], 1, 2, FP.digest, 12, FOUND.path, 0, NOW),
                new=True,
                save=True,
            ),
        ),
        # unknown: from the start, or at the end when found at start-up with start_position: end
        (None, [], 100, NOW, {}, True, new()),
        (None, [], 100, NOW, {"start_position": "end"}, True, new(offset=100)),
        (None, [], 100, NOW, {"start_position": "end"}, False, new()),  # appeared later: all of it
        (None, [], 100, NOW - 73 * 3600, {}, True, None),  # idle past clean_inactive: left alone
        # copytruncate: a new file with a known first line continues its original's stream
        (None, [COPY_ORIGINAL], 100, NOW, {"rotation": "copytruncate"}, False, new("orig-stream", 70)),
        (None, [COPY_ORIGINAL], 30, NOW, {"rotation": "copytruncate"}, False, new("orig-stream", 30)),
        (None, [COPY_ORIGINAL], 100, NOW, {}, False, new()),  # rename rotation: a file of its own
        (None, [state(stream="self", offset=70)], 100, NOW, {"rotation": "copytruncate"}, False, new()),  # itself
        (
            None,
            [state(key="o", stream="o", inode=9, offset=0)],
            100,
            NOW,
            {"rotation": "copytruncate", "start_position": "end"},
            True,
            new("o", 100),
        ),
    ],
)
def test_plan_start(
    known: FileState | None,
    same_content: list[FileState],
    size: int,
    mtime: float,
    options: dict[str, Any],
    first_scan: bool,
    expected: Start | None,
) -> None:
    found = Found(FOUND.path, FOUND.device, FOUND.inode, size, mtime)
    got = plan_start(
        found,
        FP,
        size,
        NOW,
        known=known,
        same_content=lambda digest: same_content if digest == FP.digest else [],
        settings=settings(**options),
        first_scan=first_scan,
    )
    assert got == expected


def test_the_registry_is_read_for_copies_only_under_copytruncate() -> None:
    def same_content(_digest: str) -> list[FileState]:
        raise AssertionError("looked up")

    assert plan_start(FOUND, FP, 100, NOW, known=None, same_content=same_content, settings=settings(), first_scan=False)


# -- one scan over real files ------------------------------------------------------------------


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    return tmp_path / "logs"


def prospector(logs: Path, **options: Any) -> tuple[Prospector, Registry]:
    registry = Registry(logs.parent / "registry.json")
    return Prospector(settings(paths=[str(logs / "*.log")], **options), registry), registry


def scan(p: Prospector, harvesters: dict[str, Harvester], now: float | None = None) -> list[Harvester]:
    started = p.scan(harvesters, time.time() if now is None else now, 0.0)
    harvesters.update({h.state.key: h for h in started})
    return started


def close_all(harvesters: dict[str, Harvester]) -> None:
    for h in harvesters.values():
        h.close()


def test_new_files_start_and_open_ones_do_not_again(logs: Path) -> None:
    (logs / "a.log").write_text("first\nsecond\n")
    (logs / "b.log").write_text("other\n")
    (logs / "c.log").write_text("no newline yet")  # identity unknown until the first line ends
    (logs / "skip.txt").write_text("x\n")
    p, registry = prospector(logs)
    harvesters: dict[str, Harvester] = {}
    try:
        started = scan(p, harvesters, now=os.stat(logs / "a.log").st_mtime)
        assert sorted(Path(h.path).name for h in started) == ["a.log", "b.log"]
        assert {s.offset for s in registry} == {0}
        assert scan(p, harvesters) == []
    finally:
        close_all(harvesters)


def test_renamed_gone_and_rewritten_files_are_marked(logs: Path) -> None:
    (logs / "a.log").write_text("first\n")
    (logs / "b.log").write_text("other\n")
    (logs / "c.log").write_text("third\n")
    p, _ = prospector(logs)
    harvesters: dict[str, Harvester] = {}
    try:
        scan(p, harvesters)
        by_name = {Path(h.path).name: h for h in harvesters.values()}
        (logs / "a.log").rename(logs / "a-renamed.log")
        (logs / "b.log").unlink()
        with (logs / "c.log").open("r+") as out:
            out.write("THIRD\n")  # same inode, another first line
        assert scan(p, harvesters) == []
        assert by_name["a.log"].path == str(logs / "a-renamed.log")
        assert by_name["a.log"].gone_since is None
        assert by_name["b.log"].gone_since == 0.0
        assert by_name["c.log"].truncated
    finally:
        close_all(harvesters)


def test_a_known_file_resumes_at_its_offset_and_gone_files_are_forgotten(logs: Path) -> None:
    (logs / "a.log").write_text("first\nsecond\n")
    p, registry = prospector(logs)
    harvesters: dict[str, Harvester] = {}
    try:
        scan(p, harvesters)
        (key,) = harvesters
        registry.advance(key, 6, str(logs / "a.log"), NOW)
        close_all(harvesters)
        harvesters.clear()
        (again,) = scan(p, {})
        assert (again.state.key, again.state.offset) == (key, 6)
        again.close()
        registry.put(state(key="gone", inode=123456789))
        scan(p, {})
        assert {s.key for s in registry} == {key}
    finally:
        close_all(harvesters)


def test_at_start_a_file_renamed_out_of_the_globs_is_finished_from_its_offset(logs: Path) -> None:
    """The registry knows access.log at offset 6; while the shipper was down it grew and became
    access.log.1 (out of ``*.log``). The next start reads it from 6 under its new name; a copy with
    the same first line but another inode, and an entry whose file is gone, are not taken for it."""
    (logs / "access.log").write_text("first\nsecond\n")
    p, registry = prospector(logs)
    harvesters: dict[str, Harvester] = {}
    scan(p, harvesters)
    (key,) = harvesters
    registry.advance(key, 6, str(logs / "access.log"), NOW)
    close_all(harvesters)
    with (logs / "access.log").open("a") as out:
        out.write("third\n")
    (logs / "access.log").rename(logs / "access.log.1")
    (logs / "copy.log.2").write_text("first\nsecond\nthird\n")
    registry.put(state(key="gone", inode=123456789))
    restarted = Prospector(settings(paths=[str(logs / "*.log")]), registry)
    (renamed,) = scan(restarted, {})
    try:
        assert (renamed.path, renamed.state.key, renamed.state.offset) == (str(logs / "access.log.1"), key, 6)
        assert renamed.gone_since == 0.0  # closed like any file that left the globs
        records, _ = renamed.read(1024, 0.0)
        assert [r.text for r in records] == ["second", "third"]
        assert {s.key for s in registry} == {key}
    finally:
        renamed.close()
    assert scan(restarted, {renamed.state.key: renamed}) == []  # only at start


@pytest.mark.parametrize(
    ("paths", "dirs"),
    [
        (["/var/log/nginx/*.log"], ["/var/log/nginx"]),
        (["/var/log/nginx/access.log", "/var/log/nginx/error*.log"], ["/var/log/nginx"]),
        (["/var/log/*/app.log", "/srv/**/*.log"], ["/var/log", "/srv"]),
        (["/*.log"], ["/"]),
    ],
)
def test_watched_dirs(paths: list[str], dirs: list[str]) -> None:
    assert watched_dirs(paths) == dirs
