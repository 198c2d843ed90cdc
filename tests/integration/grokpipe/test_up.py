"""``grokpipe up`` killed with SIGKILL leaves no service behind: each stops (and flushes) as on Ctrl-C,
so the next ``make run`` finds its ports and its consumer group free."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from support.process import children, still_running
from support.shipper import wait_for

from grokpipe.embedded import free_port


def test_kill_9_of_up_stops_its_services(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "indexer.yml").write_text(yaml.safe_dump({"http": {"listen": f"127.0.0.1:{free_port()}"}}))
    argv = [sys.executable, "-m", "grokpipe.cli", "up", "--examples", str(examples), "--data-dir", str(tmp_path)]
    argv += ["--kafka-port", str(free_port()), "--elasticsearch-port", str(free_port())]
    with (tmp_path / "up.log").open("ab") as log:
        up = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    services: set[int] = set()
    try:
        assert wait_for(lambda: bool(children(up.pid, b"indexer")), timeout=60)
        services = children(up.pid, b"indexer")
        time.sleep(1)
        up.send_signal(signal.SIGKILL)
        up.wait()
        assert wait_for(lambda: not still_running(services, b"indexer"), timeout=60)
    finally:
        for pid in still_running(services, b"indexer"):
            os.kill(pid, signal.SIGKILL)
