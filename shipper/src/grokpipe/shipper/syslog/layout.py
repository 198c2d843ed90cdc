"""Where a syslog input keeps its spools, and which spools a change of ``workers`` leaves behind.

``<data_dir>/syslog/<input>/`` is the spool of an input running in the shipper process (``workers:
1``, the layout before workers existed); worker ``i`` of a multi-worker input spools into
``<data_dir>/syslog/<input>/w<i>/``. When ``workers`` changes, the spools that no running worker
owns any more may still hold records Kafka never acknowledged: they are "leftovers", opened by a
running worker only to drain them (``w<j>`` goes to worker ``j % workers``; the in-process spool to
worker 0), so no accepted message is stranded by a config change.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path

_WORKER_DIR = re.compile(r"w(\d+)")
_SEGMENT_SUFFIX = ".seg"


def input_root(data_dir: os.PathLike[str] | str, name: str) -> Path:
    return Path(data_dir) / "syslog" / name


def worker_dir(root: Path, index: int) -> Path:
    return root / f"w{index}"


def holds_records(directory: Path) -> bool:
    """A spool directory with any non-empty segment (recovery decides what is left to send)."""
    try:
        return any(p.stat().st_size > 0 for p in directory.glob(f"*{_SEGMENT_SUFFIX}"))
    except OSError:
        return False


def leftovers(root: Path, workers: int) -> dict[int, list[Path]]:
    """Spools under ``root`` that no worker of ``workers`` (0 = the in-process input) owns, by the
    worker that drains each (worker 0 for the in-process input)."""
    found: dict[int, list[Path]] = {}
    if workers > 0 and holds_records(root):
        found.setdefault(0, []).append(root)
    if root.is_dir():
        for child in sorted(root.iterdir()):
            match = _WORKER_DIR.fullmatch(child.name)
            if match is None or not child.is_dir():
                continue
            index = int(match[1])
            if index >= workers and holds_records(child):
                found.setdefault(index % max(workers, 1), []).append(child)
    return found


def wait_unlocked(directory: Path, timeout: float) -> bool:
    """Wait until no process holds the spool's lock (a worker of a killed supervisor finishing its
    stop); True when free. The Spool takes the lock itself afterwards."""
    lock = directory / "lock"
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
        finally:
            os.close(fd)
        time.sleep(0.1)
