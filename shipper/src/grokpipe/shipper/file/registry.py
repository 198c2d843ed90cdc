"""The offsets registry: where each file was read up to, acknowledged by Kafka, across restarts.

One JSON file per file input in the data dir, replaced atomically (:func:`grokpipe.atomic.atomic_write`),
so a crash leaves either the old or the new registry, never a torn one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from grokpipe.atomic import atomic_write
from grokpipe.shipper.errors import RegistryError
from grokpipe.shipper.file.identity import Fingerprint

VERSION = 1


@dataclass(slots=True)
class FileState:
    key: str  #: this file's own identity: device + inode + fingerprint (see identity.stream_id)
    stream: str  #: the content stream its events belong to: ``key``, or the original's for a copy
    device: int
    inode: int
    fingerprint: str
    fp_length: int
    path: str
    offset: int  #: everything before this offset is acknowledged by Kafka
    updated: float  #: wall-clock time of the last progress

    @property
    def fp(self) -> Fingerprint:
        return Fingerprint(self.fingerprint, self.fp_length)


class Registry:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._states: dict[str, FileState] = {}
        self._dirty = False

    def load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RegistryError(f"cannot read registry {self.path}: {exc.strerror}") from None
        try:
            doc = orjson.loads(raw)
            self._states = {item["key"]: FileState(**item) for item in doc["files"]}
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise RegistryError(f"registry {self.path} is corrupt ({exc}); move it away to start over") from None

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[FileState]:
        """A snapshot: the caller may remove states while iterating."""
        return iter(list(self._states.values()))

    def get(self, key: str) -> FileState | None:
        return self._states.get(key)

    def by_inode(self, device: int, inode: int) -> list[FileState]:
        return [s for s in self._states.values() if s.device == device and s.inode == inode]

    def by_fingerprint(self, digest: str) -> list[FileState]:
        return [s for s in self._states.values() if s.fingerprint == digest]

    def put(self, state: FileState) -> None:
        self._states[state.key] = state
        self._dirty = True

    def advance(self, key: str, offset: int, path: str, now: float) -> None:
        state = self._states.get(key)
        if state is not None and (offset != state.offset or path != state.path):
            state.offset = offset
            state.path = path
            state.updated = now
            self._dirty = True

    def remove(self, key: str) -> None:
        if self._states.pop(key, None) is not None:
            self._dirty = True

    def save(self, force: bool = False) -> None:
        if not (self._dirty or force):
            return
        doc = {"version": VERSION, "files": [asdict(s) for s in self._states.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            atomic_write(self.path, orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        except OSError as exc:
            raise RegistryError(f"cannot write registry {self.path}: {exc.strerror}") from None
        self._dirty = False
