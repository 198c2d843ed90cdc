"""Runs enabled rules (and digests) on their schedules inside the api process.

A loop thread wakes every ``tick`` seconds, reloads rules every ``rules_refresh`` seconds, and hands
due rules to a worker pool: a slow rule occupies one worker, not the loop; a rule still running is
not started again. Across replicas, :class:`grokpipe.api.kernel.lease.Leases` makes each tick run once.

With a ``batcher``, the jobs due in one step are split into batches and each batch is one task of
the pool (rules: one ``_msearch`` per batch, :mod:`grokpipe.api.rules.batch`); a slow batch holds one worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.schedule import Schedule

log = logging.getLogger(__name__)


class Timing(Protocol):
    """How the loop runs (the api's ``scheduler`` settings)."""

    @property
    def workers(self) -> int: ...
    @property
    def tick(self) -> float: ...
    @property
    def rules_refresh(self) -> float: ...


class Job(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def schedule(self) -> Schedule: ...


J = TypeVar("J", bound=Job)
J_co = TypeVar("J_co", bound=Job, covariant=True)
J_contra = TypeVar("J_contra", bound=Job, contravariant=True)


class JobSource(Protocol[J_co]):
    def enabled(self) -> Sequence[J_co]: ...


class JobRunner(Protocol[J_contra]):
    def run(self, job: J_contra, tick: datetime) -> Any: ...


class Batcher(Protocol[J]):
    def split(self, due: list[tuple[J, datetime]]) -> list[list[tuple[J, datetime]]]: ...
    def run(self, batch: list[tuple[J, datetime]]) -> Any: ...


class Scheduler(Generic[J]):
    def __init__(
        self,
        store: JobSource[J],
        runner: JobRunner[J],
        settings: Timing,
        clock: Clock,
        *,
        kind: str = "rule",
        workers: int | None = None,
        batcher: Batcher[J] | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.settings = settings
        self.clock = clock
        self.kind = kind
        self.batcher = batcher
        self.rules: dict[str, J] = {}
        self.next_due: dict[str, datetime] = {}
        self.running: dict[str, Future[object]] = {}
        self._pool = ThreadPoolExecutor(workers or settings.workers, thread_name_prefix=kind)
        self._stop = threading.Event()
        self._submit_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"{kind}-scheduler", daemon=True)
        self._loaded_at = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self._submit_lock:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def reload(self) -> None:
        rules = {r.id: r for r in self.store.enabled()}
        for rid in set(self.next_due) - set(rules):
            self.next_due.pop(rid, None)
        self.rules = rules
        self._loaded_at = time.monotonic()

    def due(self, now: datetime) -> list[tuple[J, datetime]]:
        """Jobs whose tick has come and that are not running; advances their next tick."""
        out: list[tuple[J, datetime]] = []
        for rid, rule in self.rules.items():
            nxt = self.next_due.get(rid)
            if nxt is None:
                self.next_due[rid] = rule.schedule.next_after(now - timedelta(microseconds=1))
                nxt = self.next_due[rid]
            if now < nxt:
                continue
            future = self.running.get(rid)
            if future is not None and not future.done():
                continue  # no overlapping runs; this tick is skipped
            out.append((rule, nxt))
            self.next_due[rid] = rule.schedule.next_after(max(nxt, now))
        return out

    def step(self, now: datetime) -> int:
        if self.batcher is not None:
            return self._step_batches(self.batcher, now)
        submitted = 0
        for rule, tick in self.due(now):
            with self._submit_lock:  # stop() may give up waiting for a slow step: none submits after it
                if self._stop.is_set():
                    break
                self.running[rule.id] = self._pool.submit(self._run, rule, tick)
            submitted += 1
        return submitted

    def _step_batches(self, batcher: Batcher[J], now: datetime) -> int:
        submitted = 0
        for batch in batcher.split(self.due(now)):
            with self._submit_lock:
                if self._stop.is_set():
                    break
                future = self._pool.submit(self._run_batch, batcher, batch)
                for job, _ in batch:
                    self.running[job.id] = future
            submitted += len(batch)
        return submitted

    def _run_batch(self, batcher: Batcher[J], batch: list[tuple[J, datetime]]) -> object:
        try:
            return batcher.run(batch)
        except Exception:
            log.exception(f"{self.kind} batch failed", extra={f"{self.kind}.ids": [job.id for job, _ in batch]})
            return None

    def _run(self, job: J, tick: datetime) -> object:
        try:
            return self.runner.run(job, tick)
        except Exception:
            log.exception(f"{self.kind} run failed", extra={f"{self.kind}.id": job.id})
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._loaded_at >= self.settings.rules_refresh:
                    self.reload()
                self.step(self.clock())
            except Exception:
                log.exception("scheduler step failed", extra={"kind": self.kind})
            self._stop.wait(self.settings.tick)
