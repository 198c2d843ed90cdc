"""The checkpoint: ``checkpoint.json`` says where the first unacknowledged record starts.

``{"version": 1, "segment": N, "offset": M}``: everything before offset M of segment N was
acknowledged by Kafka. It is written atomically (temp file, fsync, rename, fsync of the directory),
only when the watermark moved, so a crash leaves the old checkpoint or the new one, and either is
safe: the old one only replays more. Once it is saved, the segments wholly before it are deleted.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import orjson

from grokpipe.atomic import atomic_write
from grokpipe.shipper.spool.errors import SpoolError
from grokpipe.shipper.spool.segments import segment_path
from grokpipe.shipper.spool.watermark import Watermark
from grokpipe.shipper.spool.writer import WritePosition

CHECKPOINT_VERSION = 1
FILENAME = "checkpoint.json"


def load_checkpoint(directory: Path) -> tuple[int, int] | None:
    """The saved (segment, offset); None when there is none (a new spool, or moved away to replay all)."""
    path = directory / FILENAME
    try:
        doc = orjson.loads(path.read_bytes())
        return int(doc["segment"]), int(doc["offset"])
    except FileNotFoundError:
        return None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SpoolError(f"spool checkpoint {path} is corrupt ({exc}); move it away to replay all") from None


def checkpoint_position(committed: tuple[int, int], write_segment: int, sizes: dict[int, int]) -> tuple[int, int]:
    """Where to checkpoint, given the watermark: past every closed segment it covers wholly, so those
    can go (a checkpoint at the very end of a segment would keep it)."""
    segment, offset = committed
    while segment < write_segment and offset >= sizes.get(segment, 0):
        segment, offset = segment + 1, 0
    return segment, offset


class Checkpointer:
    """Saves the watermark's position when it moved and deletes the segments it leaves behind."""

    def __init__(self, directory: Path, lock: threading.Lock, watermark: Watermark, writer: WritePosition) -> None:
        self._directory = directory
        self._lock = lock
        self._watermark = watermark
        self._writer = writer
        self.saved: tuple[int, int] | None = None  #: what the file holds now

    def save(self) -> None:
        """Write the checkpoint if it moved, then delete the segments before it. Raises OSError."""
        with self._lock:
            position = checkpoint_position(self._watermark.committed, self._writer.segment, self._writer.sizes)
        if position == self.saved:
            return
        segment, offset = position
        doc = {"version": CHECKPOINT_VERSION, "segment": segment, "offset": offset}
        atomic_write(self._directory / FILENAME, orjson.dumps(doc))
        self.saved = position
        sizes = self._writer.sizes
        with self._lock:
            done = [s for s in sizes if s < segment]
            for s in done:
                del sizes[s]
        for s in done:
            with contextlib.suppress(FileNotFoundError):
                segment_path(self._directory, s).unlink()
