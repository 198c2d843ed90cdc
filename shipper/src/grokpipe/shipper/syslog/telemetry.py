"""One set of metrics per input however many worker processes run it.

Each worker counts in its own ``ShipperMetrics`` registry (the same code path as the in-process
input) and sends a snapshot of every sample several times a second; the supervisor folds the
snapshots into the shipper's registry: counters grow by each worker's increase since its last
snapshot (a restarted worker starts again from zero), gauges are the sum over the live workers
(``syslog_paused``: the maximum), and the per-socket kernel drop totals are accumulated, since a
restarted worker's new socket counts from zero. The publisher's own gauges (``queue_depth``,
``kafka_connected``) stay the shipper publisher's; the workers' Kafka state is in ``/healthz``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge

from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.spool.samples import Labels, Sample

Key = tuple[str, Labels]

_PARENT_ONLY = frozenset({"grokpipe_shipper_queue_depth", "grokpipe_shipper_kafka_connected"})
_ACCUMULATED = frozenset({"grokpipe_shipper_syslog_kernel_drops"})
_MAXIMUM = frozenset({"grokpipe_shipper_syslog_paused"})


class MetricMerge:
    """Folds worker snapshots into ``metrics`` (the shipper's registry). Not thread-safe: one caller."""

    def __init__(self, metrics: ShipperMetrics) -> None:
        self._targets: dict[str, Counter | Gauge] = {}
        for value in vars(metrics).values():
            if isinstance(value, Counter):
                self._targets[_family(value) + "_total"] = value
            elif isinstance(value, Gauge):
                self._targets[_family(value)] = value
        self._last: dict[int, dict[Key, float]] = {}  # counters and accumulated gauges, per worker
        self._gauges: dict[int, dict[Key, float]] = {}  # latest gauge values, per live worker
        self._accumulated: dict[Key, float] = {}

    def update(self, worker: int, samples: Iterable[Sample]) -> None:
        last = self._last.setdefault(worker, {})
        gauges = self._gauges.setdefault(worker, {})
        touched: set[Key] = set()
        for name, labels, value in samples:
            target = self._targets.get(name)
            if target is None or name in _PARENT_ONLY:
                continue
            key = (name, labels)
            if isinstance(target, Counter) or name in _ACCUMULATED:
                before = last.get(key, 0.0)
                delta = value - before if value >= before else value
                last[key] = value
                if delta <= 0:
                    continue
                if isinstance(target, Counter):
                    _child(target, labels).inc(delta)
                else:
                    total = self._accumulated[key] = self._accumulated.get(key, 0.0) + delta
                    _child(target, labels).set(total)
            else:
                gauges[key] = value
                touched.add(key)
        for key in touched:
            self._set_gauge(key)

    def forget(self, worker: int) -> None:
        """A worker died: its gauges stop counting; its successor's counters start from zero."""
        self._last.pop(worker, None)
        gone = self._gauges.pop(worker, {})
        for key in gone:
            self._set_gauge(key)

    def _set_gauge(self, key: Key) -> None:
        name, labels = key
        target = self._targets[name]
        assert isinstance(target, Gauge)
        values = [g[key] for g in self._gauges.values() if key in g]
        value = (max(values) if name in _MAXIMUM else sum(values)) if values else 0.0
        _child(target, labels).set(value)


def _family(metric: Counter | Gauge) -> str:
    return next(iter(metric.describe())).name


def _child(metric: Any, labels: Labels) -> Any:
    return metric.labels(**dict(labels)) if labels else metric
