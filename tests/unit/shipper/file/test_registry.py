from __future__ import annotations

import os
from pathlib import Path

import pytest

from grokpipe.shipper.errors import RegistryError
from grokpipe.shipper.file import identity
from grokpipe.shipper.file.registry import FileState, Registry


def state(key: str = "k1", offset: int = 10) -> FileState:
    return FileState(key, key, 1, 2, "ab" * 16, 12, "/var/log/x.log", offset, 1000.0)


def test_round_trip(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.json")
    reg.put(state("a", 10))
    reg.put(state("b", 20))
    reg.advance("a", 15, "/var/log/x.log.1", 2000.0)
    reg.save()
    again = Registry(tmp_path / "r.json")
    again.load()
    assert again.get("a") == FileState("a", "a", 1, 2, "ab" * 16, 12, "/var/log/x.log.1", 15, 2000.0)
    assert again.get("b") is not None
    assert len(again) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_file_is_empty_registry(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "none.json")
    reg.load()
    assert len(reg) == 0


def test_corrupt_registry_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(RegistryError, match="corrupt"):
        Registry(path).load()


def test_remove_and_lookups(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.json")
    reg.put(state("a"))
    assert [s.key for s in reg.by_inode(1, 2)] == ["a"]
    assert [s.key for s in reg.by_fingerprint("ab" * 16)] == ["a"]
    reg.remove("a")
    reg.save()
    assert Registry(tmp_path / "r.json").get("a") is None


def test_fingerprint_is_first_line(tmp_path: Path) -> None:
    path = tmp_path / "f.log"
    path.write_bytes(b"first line")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert identity.read_fingerprint(fd) is None  # first line not complete yet
        path.write_bytes(b"first line\nsecond\n")
        fp = identity.read_fingerprint(fd)
        assert fp is not None
        assert fp.length == len(b"first line\n")
        with path.open("ab") as out:
            out.write(b"more\n")
        assert identity.read_fingerprint(fd) == fp  # growth does not change identity
        assert identity.matches(fd, fp)
        path.write_bytes(b"other line\n")
        assert not identity.matches(fd, fp)
    finally:
        os.close(fd)


def test_long_first_line_fingerprint_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "f.log"
    path.write_bytes(b"x" * 5000)
    fd = os.open(path, os.O_RDONLY)
    try:
        fp = identity.read_fingerprint(fd)
        assert fp is not None
        assert fp.length == identity.FINGERPRINT_MAX
    finally:
        os.close(fd)
