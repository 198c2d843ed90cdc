"""Atomic replacement of a state file: old or new content, fsynced, and no temp file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from grokpipe.atomic import atomic_write


@pytest.mark.parametrize(
    ("before", "data"),
    [
        (None, b'{"a": 1}'),  # a new file
        (b"old", b"new"),  # replaced
        (b"a much longer old content", b"x"),  # shorter: nothing of the old one is left
        (b"old", b""),  # empty
        (None, bytes(range(256)) * 4096),  # 1 MiB: written whole even if os.write takes less
    ],
)
def test_the_file_holds_exactly_the_new_content(tmp_path: Path, before: bytes | None, data: bytes) -> None:
    path = tmp_path / "state.json"
    if before is not None:
        path.write_bytes(before)
    atomic_write(path, data)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_the_file_and_then_its_directory_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        synced.append("dir" if stat.S_ISDIR(mode) else os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1])
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(tmp_path / "checkpoint.json", b"{}")
    assert synced == ["checkpoint.json.tmp", "dir"]  # the data before the rename, the rename after it


def test_a_failed_replace_keeps_the_old_content_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.mkdir()  # a directory with a file in it: the rename over it fails
    (target / "inside").write_bytes(b"old")
    with pytest.raises(OSError):  # noqa: PT011 (which errno depends on the platform)
        atomic_write(target, b"new")
    assert (target / "inside").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nowhere" / "state.json", b"{}")
