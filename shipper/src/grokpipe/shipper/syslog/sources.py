"""Stream connections per source address: which source a connection counts against, and which
connection gives way when a listener is full.

One client must not lock the others out (1,024 idle connections from one address used to refuse
every new sender for the whole idle timeout). Two rules, both per listener:

* ``max_connections_per_source``: a source (an IPv4 address; an IPv6 /64, since one host holds a
  whole /64) with that many connections open gets no more; its next ones are refused.
* When the listener is full, a new connection is not refused at once: the busiest source (most
  connections) gives up its longest-silent connection, provided that connection has been silent
  for ``QUIET`` seconds and holds no partial message (closing it loses nothing), and that the busiest
  source holds at least two more connections than the newcomer's source (so a source is never
  evicted for one that would then hold more than it). Only when no connection qualifies is the new
  one refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

QUIET = 1.0  # seconds without a byte before a connection may be shed for a new source


def source_key(address: str) -> str:
    """The source a connection counts against: the IPv4 address (IPv4-mapped IPv6 included), or the
    IPv6 /64; an address that does not parse counts as itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True, slots=True)
class Held:
    """What shedding knows of one open connection."""

    source: str
    last_read: float  # monotonic seconds
    buffered: int  # bytes of a message not yet complete


def shed_candidate(held: Sequence[Held], newcomer: str, now: float, quiet: float = QUIET) -> int | None:
    """The index in ``held`` of the connection to close so a new one from ``newcomer`` is served, or
    None when the new one should be refused (see the module docstring)."""
    counts: dict[str, int] = {}
    for h in held:
        counts[h.source] = counts.get(h.source, 0) + 1
    floor = counts.get(newcomer, 0) + 2
    for source in sorted(counts, key=lambda s: -counts[s]):
        if counts[source] < floor:
            return None
        silent = [i for i, h in enumerate(held) if h.source == source and not h.buffered and now - h.last_read >= quiet]
        if silent:
            return min(silent, key=lambda i: held[i].last_read)
    return None


__all__ = ["QUIET", "Held", "shed_candidate", "source_key"]
