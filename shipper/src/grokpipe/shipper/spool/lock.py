"""One owner per spool directory: an exclusive ``flock`` on ``<directory>/lock``.

The kernel drops the lock when the process dies, however it dies, so a crash never leaves a stale
lock behind; a second shipper (or a second input with the same id) is refused at start instead of
interleaving its writes with the first one's."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from grokpipe.shipper.spool.errors import SpoolError


class DirectoryLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "lock"
        self._fd = -1

    @property
    def fd(self) -> int:
        """The locked file (a drain process inherits it, so a successor waits for both)."""
        return self._fd

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def acquire(self) -> None:
        """Take the lock without waiting. SpoolError when another process (or Spool) holds it; OSError
        when the file cannot be opened."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"spool directory {self.path.parent} is in use by another shipper") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
