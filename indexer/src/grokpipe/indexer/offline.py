"""Log files read offline the way the indexer reads them online: lines joined into events with the
dataset's multiline preset (the shipper's, examples/shipper.yml), each event through its pipeline.

Shared by ``grokpipe errors scan`` and ``grokpipe patterns scan --dataset``, so both cut a file into
the same events and take the same message from each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from grokpipe.indexer.fields import Event
from grokpipe.indexer.pipeline import Pipeline
from grokpipe.multiline import Multiline, MultilineSettings

#: The shipper's multiline preset for each dataset whose events span lines (examples/shipper.yml).
PRESETS: dict[str, Literal["php", "python", "java"]] = {
    "nginx.error": "php",
    "php.error": "php",
    "python.traceback": "python",
    "java.stacktrace": "java",
}


def events(lines: Iterable[str], dataset: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each event, lines joined with the dataset's multiline preset."""
    preset = PRESETS.get(dataset)
    if preset is None:
        for number, line in enumerate(lines, 1):
            yield number, line
        return
    joiner = Multiline(MultilineSettings(preset=preset))
    for number, line in enumerate(lines, 1):
        for block in joiner.push(number, number, line, set()):
            yield block.offset, "\n".join(block.lines)
    last = joiner.flush()
    if last is not None:
        yield last.offset, "\n".join(last.lines)


def process(pipeline: Pipeline, dataset: str, text: str) -> Event:
    """The event the indexer would build from ``text`` of ``dataset``."""
    return pipeline({"message": text, "event": {"dataset": dataset}})
