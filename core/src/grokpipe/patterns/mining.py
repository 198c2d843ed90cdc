"""Template mining: keys that differ only where values vary become one pattern.

Keys are the masked token sequences of :mod:`grokpipe.patterns.tokens`. Two comparisons of keys
find the parameters that masking cannot see (no digit in them):

1. **Slots.** Keys of one length that agree everywhere but one position form a slot. The slot is a
   parameter when every value in it holds a masked value (``rdd_<*>``, ``broadcast_<*>_piece<*>``)
   or is a path, or follows a word that names what it holds (:data:`NAMING_WORDS`: ``user <*>``,
   ``domain <*>``), or when it looks like data rather than a choice among a few literals: at least
   :data:`MIN_DISTINCT` different words, half of them seen at most :data:`RARE` times (user names,
   host names). A key keeps at least :data:`MIN_LITERALS` literal words elsewhere to take part, so
   ``boot (command <*>)`` and ``wait (command <*>)``, or one-word messages, never fold.
2. **Arity.** Keys of different lengths whose tokens align (longest common subsequence) except for
   short runs that each hold a bare value (``(<*> KB)``, a list of values, ``<<*> sec``) are one
   pattern: ``<*> bytes (<*> KB) sent`` and ``<*> bytes sent``. A run that holds a word
   (``user=<*>``, ``invalid user <*>``) is a real difference and keeps the keys apart.

Merging is monotone: a key that joined a pattern stays in it. The work is bounded: slots are found
by hashing keys of at most :data:`MAX_SLOT_TOKENS` tokens; alignment compares keys with the same
first and last word and about as many words, at most :data:`MAX_BUCKET` a bucket and
:data:`MAX_COMPARISONS` a run.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from grokpipe.patterns.tokens import VAR, is_pure_variable, is_variable, pattern_id

Key = tuple[str, ...]

__all__ = ["Key", "Pattern", "generalise", "mine", "pattern_id", "same_arity_pattern"]

MIN_DISTINCT: Final = 3
RARE: Final = 2
MIN_LITERALS: Final = 2
#: Literal words a message needs beside its first word for that word to be taken for a parameter.
FIRST_WORD_LITERALS: Final = 5
MAX_GAP: Final = 3
MAX_BUCKET: Final = 400
#: Keys longer than this take no part in slots or arity (their own key is their pattern).
MAX_SLOT_TOKENS: Final = 64
#: Alignments (each at most MAX_SLOT_TOKENS squared steps) one mining run may make.
MAX_COMPARISONS: Final = 20_000
#: Positions holding a masked value a key may have to be compared two at a time.
MAX_VALUE_POSITIONS: Final = 12
#: Words after which a slot holds a value whatever its words (a user name, a host, a file...).
NAMING_WORDS: Final = frozenset(
    {"user", "users", "username", "host", "hostname", "node", "domain", "interface", "file", "filename", "path",
     "class", "account", "device", "directory", "dir", "queue", "table", "database", "volume", "container",
     "status", "state"}
)  # fmt: skip
_HOLE: Final = "\x00"
#: A word that starts upper case (``GET``, ``Paused``): a constant's name, not data like ``root`` or ``web01``.
_ENUM = re.compile(r"[A-Z][A-Za-z_]*")
_QUOTES = "\"'`()[]{}<>,;:."
_WORD = re.compile(r"[A-Za-z]")
_DOTTED = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*){2,}:?")
#: A file path or URL: ``/home/x/a.rts:``, ``C:\Windows\x``, ``hdfs://x``.
_PATH = re.compile(r"[(\['\"]?(?:/[^/\s]*/|[A-Za-z]:\\|[a-z][a-z0-9+.\-]*://)")


def _literal(token: str) -> bool:
    return not is_variable(token) and _WORD.search(token) is not None


def _literals(key: Key) -> int:
    return sum(1 for token in key if _literal(token))


def _collapse(key: Iterable[str]) -> Key:
    out: list[str] = []
    for token in key:
        if out and token == out[-1] and is_variable(token):
            continue
        out.append(token)
    return tuple(out)


def _is_parameter(values: Counter[str], first: bool, others: int) -> bool:
    if len(values) < 2:
        return False
    if all(is_variable(v) or not _WORD.search(v) or _PATH.match(v) for v in values):
        return True  # values, paths, or values and their empty form: (<*>) and ()
    if first and others < FIRST_WORD_LITERALS:  # the first word of a short message names the event
        return False
    if first and all(_DOTTED.fullmatch(v) for v in values):
        return True  # com.apple.x.daily: ... before a long message: the subject it is about
    if len(values) < MIN_DISTINCT or _constants(values):
        return False
    rare = sum(1 for count in values.values() if count <= RARE)
    return rare * 2 >= len(values) or len(values) >= 10


def _value_pairs(counts: Counter[Key]) -> dict[Key, list[int]]:
    """Keys that agree everywhere but two positions holding values (``install <*>:amd<*> <none> <*>``
    and ``install python<*>-minimal:amd<*> <none> <*>~git<*>``): the positions of the two that vary
    among those keys are parameters (one that is the same in all of them, ``HTTP/<*>``, stays).
    Only positions holding a masked value take part (a word beside a value is no pair), at most
    :data:`MAX_VALUE_POSITIONS` of them a key."""
    holes: dict[Key, list[tuple[Key, int, int]]] = defaultdict(list)
    for key in counts:
        values = [i for i, token in enumerate(key) if token != VAR and VAR in token]
        others = [i for i, token in enumerate(key) if token == VAR or VAR not in token]
        if len(values) > MAX_VALUE_POSITIONS or not others:
            continue
        for a in range(len(values)):
            for b in range(a + 1, len(values)):
                i, j = values[a], values[b]
                holes[(*key[:i], _HOLE, *key[i + 1 : j], _HOLE, *key[j + 1 :])].append((key, i, j))
    found: dict[Key, list[int]] = defaultdict(list)
    for members in holes.values():
        if len({(key[i], key[j]) for key, i, j in members}) > 1:
            vary_i = len({key[i] for key, i, _ in members}) > 1
            vary_j = len({key[j] for key, _, j in members}) > 1
            for key, i, j in members:
                found[key].extend([*([i] if vary_i else []), *([j] if vary_j else [])])
    return found


def _constants(values: Counter[str]) -> bool:
    """Fewer than ten words that all start upper case: a choice among named constants (``GET`` / ``POST`` /
    ``DELETE``, ``Paused`` / ``Resumed``, ``'Active'`` / ``'Inactive'``), not data."""
    return len(values) < 10 and all(_ENUM.fullmatch(v.strip(_QUOTES)) for v in values)


def _named(hole: Key, values: Counter[str]) -> bool:
    """A slot after a word that names what it holds (``user <*>``, ``domain <*>``) with two values or more,
    unless they are constants (``state 'Active'`` / ``state 'Inactive'``)."""
    if len(values) < 2 or _constants(values):
        return False
    i = hole.index(_HOLE)
    return i > 0 and hole[i - 1].strip(":,;=").lower() in NAMING_WORDS


def _context(key: Key, i: int) -> tuple[str, str] | None:
    if i < 2 or not _literal(key[i - 1]) or not _literal(key[i - 2]):
        return None
    return (key[i - 2], key[i - 1])


def generalise(counts: Counter[Key], passes: int = 3) -> dict[Key, Key]:
    """Each key's generalised key after folding parameter slots (step 1).

    A slot found to be a parameter also makes a parameter of the same slot in other keys: the two
    literal words before it (``for user <*>``) name what it holds wherever they appear.
    """
    mapping = {key: key for key in counts}
    current: Counter[Key] = Counter(counts)
    contexts: set[tuple[str, str]] = set()
    for _ in range(passes):
        slots: dict[Key, Counter[str]] = defaultdict(Counter)
        for key, count in current.items():
            if len(key) > MAX_SLOT_TOKENS:
                continue  # a key this long keeps its own pattern (bounded work per key)
            literals = _literals(key)
            for i, token in enumerate(key):
                others = literals - (1 if _literal(token) else 0)
                if others >= MIN_LITERALS or (others >= 1 and len(key) <= 3):
                    slots[(*key[:i], _HOLE, *key[i + 1 :])][token] += count
        params = {
            hole
            for hole, values in slots.items()
            if _is_parameter(values, hole[0] == _HOLE, _literals(hole)) or _named(hole, values)
        }
        pair_params = _value_pairs(current)
        for key in current:
            for i, token in enumerate(key):
                if token != VAR and (*key[:i], _HOLE, *key[i + 1 :]) in params:
                    context = _context(key, i)
                    if context is not None:
                        contexts.add(context)
        step: dict[Key, Key] = {}
        changed = False
        for key in current:
            new = list(key)
            for i, token in enumerate(key):
                if token == VAR:
                    continue
                if (*key[:i], _HOLE, *key[i + 1 :]) in params or _context(key, i) in contexts:
                    new[i] = VAR
            for i in pair_params.get(key, ()):
                new[i] = VAR
            step[key] = _collapse(new)
            changed = changed or step[key] != key
        if not changed:
            break
        nxt: Counter[Key] = Counter()
        for key, count in current.items():
            nxt[step[key]] += count
        mapping = {original: step[g] for original, g in mapping.items()}
        current = nxt
    return mapping


def _same(x: str, y: str) -> bool:
    return x == y or (VAR in x and VAR in y)  # two values align whatever their literal parts


def _lcs(a: Key, b: Key) -> list[tuple[int, int]]:
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if _same(a[i], b[j]) else max(table[i + 1][j], table[i][j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if _same(a[i], b[j]):
            pairs.append((i, j))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def same_arity_pattern(a: Key, b: Key) -> bool:
    """True when ``a`` and ``b`` align except for short runs that each hold a bare value (step 2)."""
    if a == b:
        return True
    pairs = _lcs(a, b)
    matched = sum(1 for i, _ in pairs if _literal(a[i]))
    if matched < 3 or matched < 0.75 * _literals(a) or matched < 0.75 * _literals(b):
        return False
    bounds = [(-1, -1), *pairs, (len(a), len(b))]
    for (i0, j0), (i1, j1) in itertools.pairwise(bounds):
        gap_a, gap_b = a[i0 + 1 : i1], b[j0 + 1 : j1]
        if not gap_a and not gap_b:
            continue
        if len(gap_a) > MAX_GAP or len(gap_b) > MAX_GAP:
            return False
        gap = (*gap_a, *gap_b)
        if not any(is_pure_variable(t) for t in gap) or any(_WORD.search(t) and not is_pure_variable(t) for t in gap):
            return False  # a run holds bare values only: a word in it is a real difference
    return True


@dataclass(frozen=True)
class Pattern:
    id: str
    template: str
    key: Key


class _Union:
    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, key: Key) -> Key:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(key, key) != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: Key, b: Key) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def mine(counts: Counter[Key]) -> dict[Key, Pattern]:
    """The pattern of every key: slots folded (step 1), then keys of different arity joined (step 2)."""
    general = generalise(counts)
    gcounts: Counter[Key] = Counter()
    for key, count in counts.items():
        gcounts[general[key]] += count
    union = _Union()
    buckets: dict[tuple[str, str, int], list[Key]] = defaultdict(list)
    for key in sorted(gcounts, key=lambda k: -gcounts[k]):
        if len(key) > MAX_SLOT_TOKENS:
            continue
        words = [t for t in key if _literal(t)]
        buckets[(words[0] if words else "", words[-1] if words else "", len(words))].append(key)
    budget = MAX_COMPARISONS
    for (first, last, literals), keys in list(buckets.items()):
        candidates = [k for d in (-1, 0, 1) for k in buckets.get((first, last, literals + d), [])][:MAX_BUCKET]
        for key in keys[:MAX_BUCKET]:
            for other in candidates:
                if other == key or len(other) == len(key) or abs(len(other) - len(key)) > 2 * MAX_GAP:
                    continue
                if union.find(other) == union.find(key):
                    continue
                if budget <= 0:
                    break
                budget -= 1
                if same_arity_pattern(key, other):
                    union.union(other, key)
    groups: dict[Key, list[Key]] = defaultdict(list)
    for key in gcounts:
        groups[union.find(key)].append(key)
    patterns: dict[Key, Pattern] = {}
    for members in groups.values():
        head = max(members, key=lambda k: (gcounts[k], k))
        pattern = Pattern(pattern_id(head), " ".join(head), head)
        for member in members:
            patterns[member] = pattern
    return {key: patterns[general[key]] for key in counts}
