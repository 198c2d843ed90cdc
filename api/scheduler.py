"""Runs enabled rules on their schedules inside the api process.

A loop thread wakes every ``tick`` seconds, reloads rules every ``rules_refresh`` seconds, and hands
due rules to a worker pool: a slow rule occupies one worker, not the loop; a rule still running is
not started again. Across replicas, :class:`api.lease.Leases` makes each tick run once.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from api.config import SchedulerSettings
from api.rules.schemas import Rule
from api.runner import Clock, RuleRunner
from api.store import RuleStore

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, store: RuleStore, runner: RuleRunner, settings: SchedulerSettings, clock: Clock) -> None:
        self.store = store
        self.runner = runner
        self.settings = settings
        self.clock = clock
        self.rules: dict[str, Rule] = {}
        self.next_due: dict[str, datetime] = {}
        self.running: dict[str, Future[object]] = {}
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="rule")
        self._stop = threading.Event()
        self._submit_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
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

    def due(self, now: datetime) -> list[tuple[Rule, datetime]]:
        """Rules whose tick has come and that are not running; advances their next tick."""
        out: list[tuple[Rule, datetime]] = []
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
        submitted = 0
        for rule, tick in self.due(now):
            with self._submit_lock:  # stop() may give up waiting for a slow step: none submits after it
                if self._stop.is_set():
                    break
                self.running[rule.id] = self._pool.submit(self._run, rule, tick)
            submitted += 1
        return submitted

    def _run(self, rule: Rule, tick: datetime) -> object:
        try:
            return self.runner.run(rule, tick)
        except Exception:
            log.exception("rule run failed", extra={"rule.id": rule.id})
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._loaded_at >= self.settings.rules_refresh:
                    self.reload()
                self.step(self.clock())
            except Exception:
                log.exception("scheduler step failed")
            self._stop.wait(self.settings.tick)
