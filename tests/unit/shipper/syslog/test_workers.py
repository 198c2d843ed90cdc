"""workers: N without processes: the config key, the spool layout and its leftovers, the shared
connection counts, and folding worker metrics into one set per input."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from grokpipe.settings import ConfigError
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.syslog.config import SyslogInputSettings, parse_listen, usable_cores
from grokpipe.shipper.syslog.layout import input_root, leftovers, wait_unlocked, worker_dir
from grokpipe.shipper.syslog.slots import ConnectionAdmission, SharedSlots
from grokpipe.shipper.syslog.telemetry import MetricMerge

TCP = parse_listen("tcp://127.0.0.1:5514")
UDP = parse_listen("udp://127.0.0.1:5514")


def syslog(**options: object) -> SyslogInputSettings:
    return SyslogInputSettings.model_validate({"type": "syslog", "listen": ["tcp://127.0.0.1:5514"], **options})


# -- config ----------------------------------------------------------------------------------------


def test_workers_default_to_the_usable_cores() -> None:
    assert syslog().workers is None
    assert syslog().worker_count == usable_cores() >= 1


@pytest.mark.parametrize(("workers", "expected"), [(1, 1), (2, 2), (8, 8)])
def test_workers_as_configured(workers: int, expected: int) -> None:
    assert syslog(workers=workers).worker_count == expected


def test_unix_sockets_only_run_in_one_process() -> None:
    settings = SyslogInputSettings.model_validate(
        {"type": "syslog", "listen": ["unix:///tmp/gp-dev-log", "unix-stream:///tmp/gp-s"], "workers": 4}
    )
    assert settings.worker_count == 1


@pytest.mark.parametrize("value", ["0", "-1", "257", "many", "1.5"])
def test_bad_workers_name_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "shipper.yml"
    path.write_text(f"inputs: [{{type: syslog, listen: ['tcp://h:1'], workers: {value}}}]")
    with pytest.raises(ConfigError) as info:
        ShipperSettings.load(path)
    assert "inputs.0.syslog.workers" in str(info.value)


# -- layout ----------------------------------------------------------------------------------------


def _segment(directory: Path, size: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "00000000000000000000.seg").write_bytes(b"x" * size)


def test_spools_no_worker_owns_are_drained_by_one_that_runs(tmp_path: Path) -> None:
    root = input_root(tmp_path, "in")
    _segment(root, 10)  # the in-process spool (workers: 1)
    for index in range(4):
        _segment(worker_dir(root, index), 10)
    _segment(worker_dir(root, 5), 0)  # empty: nothing to drain
    assert leftovers(root, 2) == {0: [root, worker_dir(root, 2)], 1: [worker_dir(root, 3)]}
    assert leftovers(root, 4) == {0: [root]}
    # back to one in-process input: every worker spool is a leftover of it
    assert leftovers(root, 0) == {0: [worker_dir(root, i) for i in range(4)]}
    assert leftovers(tmp_path / "missing", 2) == {}


def test_wait_unlocked(tmp_path: Path) -> None:
    assert wait_unlocked(tmp_path, 0)
    fd = os.open(tmp_path / "lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # a lock held by another open file description of this process blocks too (flock semantics)
        assert not wait_unlocked(tmp_path, 0.2)
    finally:
        os.close(fd)
    assert wait_unlocked(tmp_path, 0)


# -- connection slots ----------------------------------------------------------------------------


def test_one_limit_over_every_worker(tmp_path: Path) -> None:
    slots = SharedSlots.create(tmp_path / "connections", 2, [TCP, UDP])
    w0 = SharedSlots(slots.path, 2, [TCP, UDP]).admission(0, 3)
    w1 = SharedSlots(slots.path, 2, [TCP, UDP]).admission(1, 3)
    assert [w0.admit(TCP), w1.admit(TCP), w1.admit(TCP)] == [True, True, True]
    assert not w0.admit(TCP)
    assert not w1.admit(TCP)
    assert slots.total(TCP) == 3
    w1.release(TCP)
    assert w0.admit(TCP)
    assert slots.open_connections() == 3
    slots.reset(0)  # worker 0 died with its two connections
    assert slots.total(TCP) == 1
    assert w0.admit(TCP)
    for admission in (w0, w1):
        admission.close()
    slots.close()


def test_a_new_file_does_not_inherit_old_counts(tmp_path: Path) -> None:
    old = SharedSlots.create(tmp_path / "connections", 1, [TCP])
    assert old.admission(0, 5).admit(TCP)
    new = SharedSlots.create(tmp_path / "connections", 1, [TCP])
    assert new.total(TCP) == 0
    assert old.total(TCP) == 1  # a worker of a killed supervisor keeps its own copy
    old.close()
    new.close()


def test_in_process_admission() -> None:
    admission = ConnectionAdmission(1)
    assert admission.admit(TCP)
    assert not admission.admit(TCP)
    assert admission.admit(UDP)
    admission.release(TCP)
    assert admission.admit(TCP)


# -- metrics -------------------------------------------------------------------------------------

LISTENER = (("input", "in"), ("listener", "tcp://127.0.0.1:5514"))
INPUT = (("input", "in"),)
MESSAGES = "grokpipe_shipper_syslog_messages_total"
DEPTH = "grokpipe_shipper_spool_depth"
DROPS = "grokpipe_shipper_syslog_kernel_drops"
PAUSED = "grokpipe_shipper_syslog_paused"


def value(metrics: ShipperMetrics, name: str, labels: tuple[tuple[str, str], ...]) -> float:
    return metrics.registry.get_sample_value(name, dict(labels)) or 0.0


def test_counters_add_up_over_workers_and_restarts() -> None:
    metrics = ShipperMetrics()
    merge = MetricMerge(metrics)
    merge.update(0, [(MESSAGES, LISTENER, 100.0)])
    merge.update(1, [(MESSAGES, LISTENER, 50.0)])
    merge.update(0, [(MESSAGES, LISTENER, 120.0)])
    assert value(metrics, MESSAGES, LISTENER) == 170
    merge.forget(0)  # died; the replacement counts from zero
    merge.update(0, [(MESSAGES, LISTENER, 5.0)])
    assert value(metrics, MESSAGES, LISTENER) == 175
    merge.update(1, [(MESSAGES, LISTENER, 40.0)])  # a counter that went down: a restart the merge did not see
    assert value(metrics, MESSAGES, LISTENER) == 215


def test_gauges_sum_over_live_workers() -> None:
    metrics = ShipperMetrics()
    merge = MetricMerge(metrics)
    merge.update(0, [(DEPTH, INPUT, 10.0), (PAUSED, INPUT, 0.0)])
    merge.update(1, [(DEPTH, INPUT, 5.0), (PAUSED, INPUT, 1.0)])
    assert value(metrics, DEPTH, INPUT) == 15
    assert value(metrics, PAUSED, INPUT) == 1  # the maximum, not a sum
    merge.update(1, [(DEPTH, INPUT, 0.0), (PAUSED, INPUT, 0.0)])
    assert value(metrics, DEPTH, INPUT) == 10
    merge.forget(0)
    assert value(metrics, DEPTH, INPUT) == 0


def test_kernel_drops_accumulate_over_a_restart() -> None:
    metrics = ShipperMetrics()
    merge = MetricMerge(metrics)
    merge.update(0, [(DROPS, LISTENER, 7.0)])
    merge.forget(0)
    merge.update(0, [(DROPS, LISTENER, 2.0)])  # the new socket counts from zero
    assert value(metrics, DROPS, LISTENER) == 9


def test_the_shipper_publisher_keeps_its_own_gauges() -> None:
    metrics = ShipperMetrics()
    metrics.in_flight.set(3)
    merge = MetricMerge(metrics)
    merge.update(0, [("grokpipe_shipper_queue_depth", (), 99.0), ("unknown_metric", (), 1.0)])
    assert value(metrics, "grokpipe_shipper_queue_depth", ()) == 3
