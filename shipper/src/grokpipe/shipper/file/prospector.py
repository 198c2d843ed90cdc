"""The prospector: which files an input reads, and from where (Filebeat's name for this stage).

Every ``scan_frequency`` it lists the files the globs match (:mod:`.discovery`) and, for each:

* a file already open: renamed within the globs (keep reading it under the new name), gone
  (``close_timeout`` starts), or rewritten in place under the same inode (finish it, then it is
  found again as a new file);
* a file not open: where its harvester starts (:func:`plan_start`, a pure decision) — its registry
  offset, nothing when there is nothing new, offset 0 of a new stream when it shrank below the
  offset, its original's stream and offset when it is a ``copytruncate`` copy, its end when
  ``start_position: end`` and it is found at start-up; never a file idle longer than
  ``clean_inactive`` that the registry does not know.

Then it forgets the registry state of files that are gone, left the globs, or idle past
``clean_inactive``. The input owns the harvesters and runs them; the prospector only starts them.

At start (the first scan), a registry entry whose file the globs no longer find is looked for in the
directory of its last path before it is forgotten: a file renamed out of the globs while the shipper
was stopped or crashed (``access.log`` -> ``access.log.1`` under ``*.log``) is the same device, inode
and fingerprint under another name, and is read from its acknowledged offset to its end, then
closed like any file that left the globs (``close_timeout``). Filebeat forgets it (beats#39732).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from grokpipe.envelope import event_id
from grokpipe.shipper.file import discovery, identity
from grokpipe.shipper.file.config import FileInputSettings
from grokpipe.shipper.file.harvester import Harvester
from grokpipe.shipper.file.registry import FileState, Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Start:
    """Where a harvester starts; ``new`` states go into the registry, ``save`` ones at once."""

    state: FileState
    new: bool = False
    save: bool = False


def plan_start(
    found: discovery.Found,
    fp: identity.Fingerprint,
    size: int,
    now: float,
    *,
    known: FileState | None,
    same_content: Callable[[str], Iterable[FileState]],
    settings: FileInputSettings,
    first_scan: bool,
) -> Start | None:
    """Where to start reading a file that is not open, or None to leave it alone.

    ``known`` is the registry's state for this file's identity; ``same_content`` looks up the states
    whose fingerprint (first line) has this digest, among them a ``copytruncate`` copy's original
    (a look-up, called only for that case: it reads the whole registry).
    """
    key = identity.stream_id(found.device, found.inode, fp)
    if known is not None:
        if size < known.offset:
            # Truncated, and rewritten with the same first line: a new stream.
            stream = event_id(key, "truncated", known.offset)[:24]
            state = FileState(key, stream, found.device, found.inode, fp.digest, fp.length, found.path, 0, now)
            return Start(state, new=True, save=True)
        if size <= known.offset:
            return None  # nothing new: no harvester needed
        return Start(known)
    if now - found.mtime > settings.clean_inactive:
        return None  # older than we keep state for: would be re-read from scratch
    stream, offset = key, 0
    if settings.rotation == "copytruncate":
        original = next(
            (s for s in same_content(fp.digest) if (s.device, s.inode) != (found.device, found.inode)), None
        )
        if original is not None:
            stream, offset = original.stream, min(original.offset, size)
    if offset == 0 and first_scan and settings.start_position == "end":
        offset = size
    return Start(
        FileState(key, stream, found.device, found.inode, fp.digest, fp.length, found.path, offset, now), new=True
    )


class Prospector:
    def __init__(self, settings: FileInputSettings, registry: Registry) -> None:
        self._settings = settings
        self._registry = registry
        self._first_scan = True

    def scan(self, harvesters: Mapping[str, Harvester], now: float, mono: float) -> list[Harvester]:
        """One pass over the globs: updates the open ``harvesters`` (by registry key) in place and
        returns the harvesters to start. ``now`` is wall-clock time, ``mono`` monotonic."""
        found = discovery.scan(self._settings.paths, self._settings.exclude)
        open_inodes = {(h.state.device, h.state.inode): h for h in harvesters.values()}
        started: dict[str, Harvester] = {}
        for ident, item in found.items():
            harvester = open_inodes.get(ident)
            if harvester is not None:
                harvester.path = item.path  # renamed within the globs: keep reading it
                harvester.gone_since = None
                if not harvester.closing and not identity.matches(harvester.fd, harvester.state.fp):
                    harvester.truncated = True  # rewritten in place: finish it, rediscover as new
                continue
            opened = self._open(item, now)
            if opened is None:
                continue
            state, fd = opened
            if state.key in harvesters or state.key in started:
                os.close(fd)
                continue
            started[state.key] = Harvester(
                item.path,
                state,
                max_line_bytes=self._settings.max_line_bytes,
                multiline=self._settings.multiline,
                now=mono,
                fd=fd,
            )
        for ident, harvester in open_inodes.items():
            if ident not in found and not harvester.closing:
                harvester.gone_since = harvester.gone_since or mono
        if self._first_scan:
            for state in self._registry:
                if (state.device, state.inode) not in found and state.key not in harvesters:
                    renamed = self._renamed_away(state, mono)
                    if renamed is not None:
                        started[state.key] = renamed
        self._clean(found, now, {*harvesters, *started})
        self._first_scan = False
        return list(started.values())

    def _open(self, item: discovery.Found, now: float) -> tuple[FileState, int] | None:
        """The state to harvest ``item`` from (recorded in the registry) and the open descriptor it was
        identified by, or None. The harvester reads that descriptor: the name may be gone by then."""
        try:
            fd = os.open(item.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (item.device, item.inode):
                os.close(fd)  # replaced between scan and open: the next scan sees the new one
                return None
            fp = identity.read_fingerprint(fd)
            if fp is None:
                os.close(fd)  # first line incomplete: identity not known yet, wait for the next scan
                return None
            start = plan_start(
                item,
                fp,
                st.st_size,
                now,
                known=self._registry.get(identity.stream_id(item.device, item.inode, fp)),
                same_content=self._registry.by_fingerprint,
                settings=self._settings,
                first_scan=self._first_scan,
            )
            if start is None:
                os.close(fd)
                return None
            if start.new:
                self._registry.put(start.state)
            if start.save:
                self._registry.save()
        except BaseException:
            os.close(fd)
            raise
        return start.state, fd

    def _renamed_away(self, state: FileState, mono: float) -> Harvester | None:
        """A harvester for ``state``'s file found under another name in the directory of its last
        path (same device, inode and fingerprint) with bytes past the acknowledged offset, or None."""
        directory = os.path.dirname(state.path) or "."
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            try:
                if entry.inode() != state.inode or entry.stat(follow_symlinks=False).st_dev != state.device:
                    continue
            except OSError:
                continue
            try:
                fd = os.open(entry.path, os.O_RDONLY)
            except OSError:
                return None
            st = os.fstat(fd)
            if (
                (st.st_dev, st.st_ino) != (state.device, state.inode)
                or not stat.S_ISREG(st.st_mode)
                or st.st_size <= state.offset
                or not identity.matches(fd, state.fp)
            ):
                os.close(fd)
                return None
            harvester = Harvester(
                entry.path,
                state,
                max_line_bytes=self._settings.max_line_bytes,
                multiline=self._settings.multiline,
                now=mono,
                fd=fd,
            )
            harvester.gone_since = mono  # out of the globs: finished and closed after close_timeout
            log.info(
                "finishing a file renamed out of the paths while the shipper was down",
                extra={"log.file.path": entry.path, "previous_path": state.path, "log.offset": state.offset},
            )
            return harvester
        return None

    def _clean(self, found: Mapping[tuple[int, int], discovery.Found], now: float, open_keys: set[str]) -> None:
        """Forget deleted files, files that left the globs, and files idle past clean_inactive."""
        for state in self._registry:
            if state.key in open_keys:
                continue
            idle = now - state.updated
            if (state.device, state.inode) not in found or idle > self._settings.clean_inactive:
                self._registry.remove(state.key)
