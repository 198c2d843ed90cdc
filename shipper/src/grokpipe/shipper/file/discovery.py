"""Finding the files an input watches: ``paths`` globs minus ``exclude`` patterns."""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Found:
    path: str
    device: int
    inode: int
    size: int
    mtime: float


def scan(paths: list[str], exclude: list[str]) -> dict[tuple[int, int], Found]:
    """Regular files matching any glob (``**`` recurses) and no exclude pattern, by (device, inode)."""
    found: dict[tuple[int, int], Found] = {}
    for pattern in paths:
        for path in sorted(glob.glob(os.path.expanduser(pattern), recursive=True)):
            if excluded(path, exclude):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            found.setdefault((st.st_dev, st.st_ino), Found(path, st.st_dev, st.st_ino, st.st_size, st.st_mtime))
    return found


def excluded(path: str, exclude: list[str]) -> bool:
    name = os.path.basename(path)
    return any(fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(name, pat) for pat in exclude)
