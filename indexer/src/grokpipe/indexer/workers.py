"""Parse processes: with ``workers: N`` (N > 1) records are decoded, run through their pipeline and
scrubbed in N processes, so that parsing uses every core instead of one interpreter's.

Why one Kafka consumer feeding a pool rather than N consumers of the group: the shipper keys a
file's records by the file, so one busy nginx log is one partition, which N consumers could not
share. Why processes: the GIL lets one thread parse at a time.

Delivery is unchanged. The consumer keeps the batch: its records, its offsets, the bulk request and
the commit after Elasticsearch settled every document. Workers only turn records into documents,
handed back encoded (:func:`grokpipe.indexer.documents.encode`): bytes cross a pipe at a fraction of
a pickled event's cost. A worker that dies (kill -9, OOM) breaks the pool; the consumer starts a new
one and parses the batch again from the records it kept, nothing having been committed for them.

Workers die with the indexer: on Linux the kernel kills them when the thread that started them ends
(``PR_SET_PDEATHSIG``), and a watchdog thread in each also exits once its parent is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from grokpipe.indexer.config import GrokSettings, IndexerSettings, ScrubSettings
from grokpipe.indexer.documents import Document, build, encode
from grokpipe.indexer.metrics import IndexerMetrics
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import Scrubber

log = logging.getLogger(__name__)

#: A Kafka record as the consumer hands it over: value, topic, partition, offset.
Record = tuple[bytes, str, int, int]

#: Records per task: large enough that the pipe and the wake-ups cost nothing per record, small
#: enough that a batch's tasks spread over the workers.
CHUNK = 500

_PR_SET_PDEATHSIG = 1


class ParsePool:
    """N worker processes that turn records into encoded documents, in order."""

    def __init__(self, settings: IndexerSettings, metrics: IndexerMetrics | None = None) -> None:
        self.workers = settings.workers
        self._metrics = metrics
        self._args = (settings.grok, settings.scrub, settings.namespace, settings.log_level)
        self._executor = self._new_executor()
        self.restarts = 0

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs librdkafka's and the HTTP client's threads
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(*self._args, os.getpid()),
        )

    def start(self, attempts: int = 3) -> None:
        """Start every worker and wait until each has loaded its pipelines. A worker killed while
        starting (the consumer's own process has loaded the same library, so that is what a broken
        pool means here) gets new workers, ``attempts`` times in all."""
        for attempt in range(1, attempts + 1):
            ready = [self._executor.submit(_ready, 0.2) for _ in range(self.workers)]
            try:
                for future in ready:
                    future.result()
                return
            except BrokenProcessPool:
                if attempt == attempts:
                    self.close()
                    raise
                self.restart()
            except BaseException:
                self.close()
                raise

    def submit(self, records: list[Record]) -> Future[list[Document]]:
        try:
            return self._executor.submit(_parse, records)
        except BrokenProcessPool:  # a worker died since the last batch: start over with new ones
            self.restart()
            return self._executor.submit(_parse, records)

    def restart(self) -> None:
        log.warning("a parse worker died: starting new workers", extra={"workers": self.workers})
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()
        self.restarts += 1
        if self._metrics is not None:
            self._metrics.worker_restarts.inc()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# -- in the worker process ------------------------------------------------------------------------

_state: tuple[Router, Scrubber, str] | None = None


def _start_worker(grok: GrokSettings, scrub: ScrubSettings, namespace: str, log_level: str, parent: int) -> None:
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    from grokpipe import logs

    logs.setup(log_level)
    global _state
    _state = (
        Router.load(
            grok.library,
            grok.extra_patterns,
            grok.timeout,
            grok.timezone,
            grok_max_chars=grok.max_chars,
            event_budget=grok.event_budget,
        ),
        Scrubber(scrub),
        namespace,
    )
    # What is loaded now lives as long as the process: out of the collector's way, so that its
    # rounds over the young documents of each task do not walk the compiled pipelines as well.
    gc.freeze()


def _die_with(parent: int) -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)  # the parent is gone (kill -9): nobody is left to read what we would parse

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ready(pause: float) -> int:
    time.sleep(pause)  # held a moment, so that each of the start() calls lands in its own worker
    return os.getpid()


def _parse(records: list[Record]) -> list[Document]:
    assert _state is not None, "worker not initialised"
    router, scrubber, namespace = _state
    return [
        encode(build(raw, topic, partition, offset, router=router, namespace=namespace, scrubber=scrubber))
        for raw, topic, partition, offset in records
    ]
