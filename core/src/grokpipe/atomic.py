"""Replacing a small state file so that a crash leaves either the old or the new content, whole.

The shipper's file registry and the syslog spool's checkpoint are such files. The steps, each one
needed: write a temp file next to the target (a rename is atomic only within one filesystem),
fsync it (else the rename can reach the disk before the data, and a power loss leaves an empty
file), rename it over the target, fsync the directory (else the rename itself can be lost). A
failed write removes the temp file and raises the ``OSError``; the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file, fsync, rename, fsync of the directory."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make the names created, renamed and deleted in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
