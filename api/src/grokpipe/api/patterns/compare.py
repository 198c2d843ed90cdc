"""When two templates are one pattern, and the template they become: a pure rule on words.

Templates are words separated by single spaces; a placeholder (``<*>``, ``<num>``, ``<ip>``, ``<hex>``...)
marks a position the indexer found variable. Two templates of the same length are one pattern when they
differ only where one of them is variable, or, in a message of at least :data:`MIN_WORDS` words, in one
literal word that is not the first and that holds data: it follows a word naming what it holds (``user
alice logged in`` / ``user bob logged in``: :data:`NAMING`), or both words are long tokens
(:data:`LONG_TOKEN` characters, random ids without digits). A choice among literals (``logged in`` /
``logged out``) stays two patterns, since a merge is never undone. The merged template keeps the words
both share and has ``<*>`` where they differ (two equal typed placeholders stay typed). The first word of a
message is never made a parameter (``boot (command <*>)`` and ``wait (command <*>)`` stay apart, as the
indexer's mining keeps them). Merging only ever generalises: ``merge(merge(a, b), b) == merge(a, b)``, so a
pattern's template never narrows again.
"""

from __future__ import annotations

import re

ANY = "<*>"
#: a message shorter than this never has a literal word turned into a parameter
MIN_WORDS = 4
#: words after which a literal is a value (what they name), compared without a trailing ``:`` or ``=``
NAMING = frozenset(
    {
        *("user", "users", "username", "account", "login", "host", "hostname", "server", "client", "node", "domain"),
        *("file", "filename", "path", "dir", "directory", "name", "session", "id", "table", "database", "db"),
        *("queue", "topic", "service", "job", "task", "device", "interface", "volume", "for", "from", "to", "by", "as"),
    }
)
#: two different literal words this long are values (random tokens without digits)
LONG_TOKEN = 16
_PLACEHOLDER = re.compile(r"^<[a-z*]+>$")


def is_placeholder(word: str) -> bool:
    return _PLACEHOLDER.match(word) is not None


def words(template: str) -> list[str]:
    return template.split(" ")


def holds_data(previous: str, x: str, y: str) -> bool:
    """Two different literal words after ``previous`` are values of one slot."""
    return previous.rstrip(":=").lower() in NAMING or min(len(x), len(y)) >= LONG_TOKEN


def merge(pattern: str, template: str) -> str | None:
    """The template of the pattern once ``template`` joins it, or None if they are different patterns."""
    if pattern == template:
        return pattern
    a, b = words(pattern), words(template)
    if len(a) != len(b):
        return None
    out: list[str] = []
    literal_diffs = 0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x == y:
            out.append(x)
        elif is_placeholder(x) or is_placeholder(y):
            out.append(ANY)
        else:
            literal_diffs += 1
            if literal_diffs > 1 or i == 0 or len(a) < MIN_WORDS or not holds_data(a[i - 1], x, y):
                return None
            out.append(ANY)
    if literal_diffs and sum(1 for w in out if not is_placeholder(w)) < 2:
        return None  # too little left in common to call it one message
    return " ".join(out)
