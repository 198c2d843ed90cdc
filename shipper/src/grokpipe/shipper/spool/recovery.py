"""Recovery at start: what the segments after the checkpoint hold, with torn tails cut off.

Every record from the checkpoint on is checked (``scan_segment``): a record torn by a crash, or the
zero-filled tail a power cut can leave, ends its segment there, and the segment is truncated to its
last whole record and counted in ``dropped_torn``. Segments before the checkpoint are acknowledged
ones whose deletion a crash interrupted; they go now. A checkpoint pointing into a segment that is
gone resumes at the next existing one. New writes always go to a new segment after every existing one
(and after the checkpoint's), so a recovered segment is never appended to.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from grokpipe.shipper.spool.checkpoint import load_checkpoint
from grokpipe.shipper.spool.segments import list_segments, scan_segment, segment_path

log = logging.getLogger(__name__)


class Recovered(NamedTuple):
    checkpoint: tuple[int, int] | None  #: as saved (None: no checkpoint file)
    start: tuple[int, int]  #: segment, offset of the first record to replay
    write_segment: int  #: the new segment writes go to
    sizes: dict[int, int]  #: the segments still on disk -> size after recovery
    records: int  #: whole records from ``start`` on
    bytes: int  #: bytes they span
    dropped_torn: int  #: segments whose torn or corrupt tail was cut off


def recover(directory: Path, name: str) -> Recovered:
    """Scan ``directory`` (locked by the caller) from its checkpoint on. Raises OSError, SpoolError
    (a corrupt checkpoint)."""
    checkpoint = load_checkpoint(directory)
    segments = list_segments(directory)
    start_seg, start_off = checkpoint or (segments[0] if segments else 0, 0)
    for seg in [s for s in segments if s < start_seg]:
        segment_path(directory, seg).unlink()  # acknowledged; a crash interrupted the deletion
    live = [s for s in segments if s >= start_seg]
    if live and live[0] != start_seg:
        start_seg, start_off = live[0], 0
    records = size = dropped_torn = 0
    sizes: dict[int, int] = {}
    for seg in live:
        offset = start_off if seg == start_seg else 0
        scan = scan_segment(segment_path(directory, seg), offset)
        if scan.dropped:
            dropped_torn += 1
            log.warning(
                "spool segment had a torn or corrupt tail, dropped it",
                extra={"input": name, "spool.segment": seg, "log.offset": scan.end, "bytes": scan.dropped},
            )
        records += scan.records
        size += scan.bytes
        sizes[seg] = scan.end
        if seg == start_seg:
            start_off = min(start_off, scan.end)
    write_segment = live[-1] + 1 if live else (start_seg + 1 if checkpoint else start_seg)
    if not live:
        start_seg, start_off = write_segment, 0
    if records or dropped_torn:
        log.info(
            "spool recovered",
            extra={"input": name, "spool.depth": records, "spool.bytes": size, "spool.dropped_torn": dropped_torn},
        )
    return Recovered(checkpoint, (start_seg, start_off), write_segment, sizes, records, size, dropped_torn)
