"""Which file is this? Device + inode, confirmed by a fingerprint of the file's first line.

The fingerprint is the first line (up to its newline, at most ``FINGERPRINT_MAX`` bytes): it is
fixed as soon as that line is complete and never changes afterwards, so reading the file again
after a crash computes the same identity and therefore the same event ids. A reused inode or a
truncated-and-rewritten file shows a different first line and is a new file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from grokpipe.envelope import event_id

FINGERPRINT_MAX = 1024


@dataclass(frozen=True, slots=True)
class Fingerprint:
    digest: str  #: hex blake2b of the fingerprint bytes
    length: int  #: how many bytes of the file it covers


def read_fingerprint(fd: int, size: int | None = None) -> Fingerprint | None:
    """The fingerprint of an open file, or None while its first line is still incomplete."""
    head = os.pread(fd, FINGERPRINT_MAX, 0)
    newline = head.find(b"\n")
    if newline >= 0:
        head = head[: newline + 1]
    elif len(head) < FINGERPRINT_MAX:
        return None
    return Fingerprint(hashlib.blake2b(head, digest_size=16).hexdigest(), len(head))


def matches(fd: int, fingerprint: Fingerprint) -> bool:
    head = os.pread(fd, fingerprint.length, 0)
    return len(head) == fingerprint.length and hashlib.blake2b(head, digest_size=16).hexdigest() == fingerprint.digest


def stream_id(device: int, inode: int, fingerprint: Fingerprint) -> str:
    """Identity of one content stream; part of every event id read from it."""
    return event_id(device, inode, fingerprint.digest)[:24]
