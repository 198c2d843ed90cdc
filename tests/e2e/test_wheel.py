"""The wheels, not the source tree: build each distribution, install each service ALONE into a clean venv, and run
it from another directory.

This is what the Dockerfile does (with all of them); an editable install would hide a pattern file or template left
out of the package data, a module found only because the repository is the working directory, or a service that
silently needs another one's dependencies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from elasticsearch import Elasticsearch
from support import indexer as support

from grokpipe.embedded import EmbeddedStack, free_port

ROOT = Path(__file__).parents[2]
ACCESS_LINE = '203.0.113.9 - - [02/Dec/2026:10:00:00 +0000] "GET /cart?id=7 HTTP/1.1" 500 12 "-" "curl/8.5"'
DISTRIBUTIONS = ("core", "grok_patterns", "shipper", "indexer", "api")
#: What a service alone must not drag in (the shipper is the edge piece: Kafka client, YAML, pydantic only).
NOT_IN = {
    "shipper": ("fastapi", "uvicorn", "elasticsearch", "jinja2", "cryptography", "luqum", "kafka", "noida_db", "regex"),
    "indexer": ("fastapi", "uvicorn", "jinja2", "cryptography", "luqum", "noida_db", "pygrok"),
    "api": ("confluent_kafka", "kafka", "noida_db", "regex"),
}


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would lead the venv's Python back to the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return env | extra


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one wheel per distribution, built from a copy of the source tree."""
    base = tmp_path_factory.mktemp("wheels")
    dist = base / "dist"
    # from a copy: setuptools builds in the source tree, and a build/ left there would lint as code and could
    # carry a deleted module into a later wheel
    for name in DISTRIBUTIONS:
        shutil.copytree(
            ROOT / name,
            base / "source" / name,
            ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__"),
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist)]
        + [str(base / "source" / name) for name in DISTRIBUTIONS],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return dist


def install(base: Path, wheels: Path, requirement: str) -> Path:
    """bin/ of a fresh venv holding ``requirement`` (found among ``wheels``) and its declared dependencies."""
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=120)
    bin_dir = base / "venv" / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--find-links", str(wheels), requirement],
        check=True,
        capture_output=True,
        timeout=600,
        env=clean_env(),
    )
    return bin_dir


@pytest.fixture(scope="module")
def shipper_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    return install(tmp_path_factory.mktemp("shipper"), wheels, "grokpipe-shipper")


@pytest.fixture(scope="module")
def indexer_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    return install(tmp_path_factory.mktemp("indexer"), wheels, "grokpipe-indexer")


@pytest.fixture(scope="module")
def api_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    return install(tmp_path_factory.mktemp("api"), wheels, "grokpipe-api")


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no source tree in it: only the example configs and logs."""
    work = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "examples", work / "examples")
    return work


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def run(venv: Path, cwd: Path, *argv: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
    done = subprocess.run(
        [str(venv / "grokpipe"), *argv],
        cwd=cwd,
        env=env or clean_env(),
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode()


def probe(venv: Path, cwd: Path, code: str) -> object:
    done = subprocess.run(
        [str(venv / "python"), "-c", code], cwd=cwd, env=clean_env(), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return orjson.loads(done.stdout)


@pytest.mark.parametrize("service", sorted(NOT_IN))
def test_each_service_installs_alone_with_only_its_own_dependencies(
    service: str, request: pytest.FixtureRequest, elsewhere: Path
) -> None:
    venv: Path = request.getfixturevalue(f"{service}_venv")
    found = probe(
        venv,
        elsewhere,
        f"import importlib.util as u, json, grokpipe.cli, grokpipe.{service}.main as m;"
        f"print(json.dumps([m.__file__, sorted(grokpipe.cli.commands()), [n for n in {NOT_IN[service]!r}"
        " if u.find_spec(n)], u.find_spec('shipper') is None]))",
    )
    assert isinstance(found, list)
    location, commands, unwanted, no_top_level = found
    assert Path(location).is_relative_to(venv.parent)
    assert service in commands
    assert not {"shipper", "indexer", "api"} - {service} & set(commands)
    assert unwanted == []
    assert no_top_level
    assert f"grokpipe {service}" in run(venv, elsewhere, service, "--help")


def test_the_indexer_finds_its_pattern_library_in_the_package_data(indexer_venv: Path, elsewhere: Path) -> None:
    found = probe(
        indexer_venv,
        elsewhere,
        "import json, grokpipe.indexer.pipeline as p;"
        "print(json.dumps([str(p.DEFAULT_LIBRARY), p.DEFAULT_LIBRARY.is_dir()]))",
    )
    assert isinstance(found, list)
    library, is_dir = found
    assert Path(library).is_relative_to(indexer_venv.parent)
    assert is_dir


def test_grok_test_runs_the_dataset_pipeline_from_the_package_data(indexer_venv: Path, elsewhere: Path) -> None:
    out = run(indexer_venv, elsewhere, "grok", "test", "--dataset", "nginx.access", stdin=ACCESS_LINE + "\n")
    (event,) = [orjson.loads(line) for line in out.splitlines() if line.strip()]
    assert event["event"]["dataset"] == "nginx.access"
    assert event["http"]["response"]["status_code"] == 500
    assert event["source"]["ip"] == "203.0.113.9"
    assert event["url"]["original"] == "/cart?id=7"
    assert "tags" not in event


def test_indexer_setup_only_installs_the_packaged_templates(
    indexer_venv: Path, elsewhere: Path, stack: EmbeddedStack, es: Elasticsearch
) -> None:
    env = clean_env(
        GROKPIPE_ELASTICSEARCH__HOSTS=stack.elasticsearch_url,
        GROKPIPE_KAFKA__BOOTSTRAP_SERVERS=stack.kafka_bootstrap,
        GROKPIPE_HTTP__LISTEN=f"127.0.0.1:{free_port()}",  # not the example's fixed port: another stack may hold it
    )
    run(indexer_venv, elsewhere, "indexer", "-c", "examples/indexer.yml", "--setup-only", env=env)
    template = es.indices.get_index_template(name="grokpipe-logs")["index_templates"][0]["index_template"]
    assert template["index_patterns"] == ["logs-*-*"]


def test_shipper_and_indexer_each_installed_alone_make_the_examples_searchable(
    shipper_venv: Path, indexer_venv: Path, elsewhere: Path, stack: EmbeddedStack, topic: str, es: Elasticsearch
) -> None:
    ns = support.namespace()
    env = clean_env(
        GROKPIPE_KAFKA__BOOTSTRAP_SERVERS=stack.kafka_bootstrap,
        GROKPIPE_KAFKA__TOPIC=topic,
        GROKPIPE_ELASTICSEARCH__HOSTS=stack.elasticsearch_url,
    )
    services = {
        "shipper": env | {"GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}"},
        "indexer": env
        | {
            "GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}",
            "GROKPIPE_KAFKA__GROUP_ID": f"wheel-{ns}",
            "GROKPIPE_NAMESPACE": ns,
        },
    }
    venvs = {"shipper": shipper_venv, "indexer": indexer_venv}
    procs = []
    for name, service_env in services.items():
        with (elsewhere / f"{name}.log").open("ab") as out:
            procs.append(
                subprocess.Popen(
                    [str(venvs[name] / "grokpipe"), name, "-c", f"examples/{name}.yml"],
                    cwd=elsewhere,
                    env=service_env,
                    stdout=out,
                    stderr=out,
                    stdin=subprocess.DEVNULL,
                )
            )
    try:
        assert support.wait_count(es, ns, 23, timeout=120) == 23  # the example logs, as in test_examples_searchable
        time.sleep(1)
        assert support.count(es, ns) == 23
    finally:
        for proc in procs:
            proc.terminate()
        codes = [proc.wait(60) for proc in procs]
    assert codes == [0, 0]
    failures = es.count(index=f"logs-*-{ns}", query={"term": {"tags": "_grokparsefailure"}})["count"]
    assert failures == 0
