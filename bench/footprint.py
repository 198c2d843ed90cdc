"""The shipper's footprint as a user installs it: packages and MB installed, start time, RSS tailing 1,000 files.

Builds two clean venvs from this working tree: the shipper alone (``pip install ./core ./shipper``) and the whole
product (all five distributions); ``--venv NAME=PATH`` adds a ready venv of another version (for a before/after).
Each venv's ``grokpipe shipper`` is started against one embedded broker: start time is exec -> ``/healthz``
answering (median of ``--starts``), RSS is the peak of a shipper that published every line of ``--files`` small
files. Prints one table. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from procstats import measure, metric, table

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[1]
SHIPPER_ALONE = ("core", "shipper")
WHOLE_PRODUCT = ("core", "grok_patterns", "shipper", "indexer", "api")


def build_venv(path: Path, distributions: tuple[str, ...]) -> Path:
    """A venv with ``distributions`` installed from a copy of their folders (setuptools leaves a build/ in
    the folder it builds, which a later wheel could take a deleted module from)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    source = path.parent / f"{path.name}-source"
    for name in distributions:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *(str(source / name) for name in distributions)], check=True, capture_output=True)
    return path


def installed(venv: Path) -> tuple[int, float]:
    """(distributions installed besides pip and setuptools, MB of site-packages)."""
    listing = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"], capture_output=True, check=True
    ).stdout.decode()
    names = [line.split("==")[0].lower() for line in listing.splitlines() if "==" in line]
    count = len([n for n in names if n not in {"pip", "setuptools"}])
    (site,) = (venv / "lib").glob("python3*/site-packages")
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    skip = sum(
        f.stat().st_size
        for pkg in ("pip", "setuptools", "_distutils_hack", "pkg_resources")
        for f in (site / pkg).rglob("*")
        if f.is_file()
    )
    return count, (size - skip) / 1e6


def config(work: Path, stack: EmbeddedStack, topic: str, paths: list[str], port: int) -> Path:
    path = work / f"shipper-{topic}.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(work / f"data-{topic}"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{port}"},
                "log_level": "WARNING",
                "inputs": [{"type": "file", "id": "bench", "paths": paths, "dataset": "app", "scan_frequency": 1}],
            }
        )
    )
    return path


def start_time(venv: Path, cfg: Path, port: int) -> float:
    began = time.monotonic()
    proc = subprocess.Popen([str(venv / "bin" / "grokpipe"), "shipper", "-c", str(cfg)], stdin=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return time.monotonic() - began
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"shipper exited with {proc.returncode}")
    finally:
        proc.terminate()
        proc.wait(60)


def tailing_rss(venv: Path, cfg: Path, port: int, lines: int) -> float:
    proc = subprocess.Popen([str(venv / "bin" / "grokpipe"), "shipper", "-c", str(cfg)], stdin=subprocess.DEVNULL)
    try:
        _, _, rss = measure(proc, lambda: metric(port, "grokpipe_shipper_events_published"), lines, 600)
        return rss
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--venv", action="append", default=[], metavar="NAME=PATH", help="a ready venv to compare")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grokpipe-footprint-"))
    try:
        venvs = {
            "shipper alone (./core ./shipper)": build_venv(work / "alone", SHIPPER_ALONE),
            "whole product (five distributions)": build_venv(work / "whole", WHOLE_PRODUCT),
        }
        venvs |= {name: Path(path) for name, path in (spec.split("=", 1) for spec in args.venv)}
        small = work / "small"
        small.mkdir()
        for i in range(args.files):
            (small / f"app-{i:04d}.log").write_text("".join(f"file {i} line {j}\n" for j in range(10)))
        rows: list[list[object]] = []
        with EmbeddedStack(work / "noida") as stack:
            kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
            for n, (name, venv) in enumerate(venvs.items()):
                count, megabytes = installed(venv)
                port = free_port()
                idle = config(work, stack, f"idle{n}", [str(work / "none" / "*.log")], port)
                starts = [start_time(venv, idle, port) for _ in range(args.starts)]
                topic = f"small{n}"
                ensure_topic(kafka, topic, partitions=4)
                port = free_port()
                rss = tailing_rss(venv, config(work, stack, topic, [str(small / "*.log")], port), port, args.files * 10)
                rows.append([name, count, megabytes, statistics.median(starts), rss])
        print()
        headers = ["shipper venv", "packages", "MB installed", "start s (median)", f"peak RSS MiB, {args.files} files"]
        print(table(headers, rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
