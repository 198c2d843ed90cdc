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


def watched_dirs(paths: list[str]) -> list[str]:
    """The directories whose listing changes when a file the globs match comes or goes: each
    pattern's path up to its first wildcard (``/var/log/nginx`` for ``/var/log/nginx/*.log``). A file
    added under a wildcard directory (``/var/log/*/x.log``) changes only a deeper listing: it is
    found by the periodic scan."""
    dirs: list[str] = []
    for pattern in paths:
        parts = os.path.expanduser(pattern).split(os.sep)
        fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts) - 1)
        directory = os.sep.join(parts[:fixed]) or os.sep
        if directory not in dirs:
            dirs.append(directory)
    return dirs


def listings(dirs: list[str]) -> tuple[int, ...]:
    """The directories' modification times (0 for one that cannot be read): a change means a file
    was created, renamed or deleted in one of them."""
    times: list[int] = []
    for directory in dirs:
        try:
            times.append(os.stat(directory).st_mtime_ns)
        except OSError:
            times.append(0)
    return tuple(times)


def excluded(path: str, exclude: list[str]) -> bool:
    name = os.path.basename(path)
    return any(fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(name, pat) for pat in exclude)
