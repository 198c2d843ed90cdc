"""deploy/compose/compose.yaml, checked statically: schema, pins, health, state, commands, settings."""

from __future__ import annotations

import importlib.resources
import json
import shlex
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; installed with check-jsonschema
import pytest
from support.deploy import COMPOSE_DIR, ROOT, load_compose

from grokpipe.cli import build_parser, commands
from grokpipe.settings import ServiceSettings

#: Services that run once and exit.
ONE_SHOT = {"kafka-topics", "setup"}
#: grokpipe services -> the settings model their config and environment must satisfy.
SETTINGS = {
    "shipper": "grokpipe.shipper.config:ShipperSettings",
    "indexer": "grokpipe.indexer.config:IndexerSettings",
    "api": "grokpipe.api.config:ApiSettings",
}
#: Where each image keeps its state.
STATE = {
    "kafka": "/var/lib/kafka/data",
    "elasticsearch": "/usr/share/elasticsearch/data",
    "kibana": "/usr/share/kibana/data",
    "shipper": "/var/lib/grokpipe/shipper",
}


def compose_schema() -> dict[str, Any]:
    files = importlib.resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema: dict[str, Any] = json.loads(files.read_text())
    return schema


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def grokpipe_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services(compose).items() if str(svc["image"]).startswith("grokpipe:")}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host source (path relative to deploy/compose, or a volume name)."""
    result = {}
    for spec in service.get("volumes", []):
        source, target = spec.split(":")[:2]
        result[target] = source
    return result


def host_file(service: dict[str, Any], container_path: str | Path) -> Path:
    container_path = str(container_path)
    for target, source in mounts(service).items():
        if container_path == target or container_path.startswith(target + "/"):
            path = (COMPOSE_DIR / source / container_path[len(target) :].lstrip("/")).resolve()
            assert path.is_file(), f"{container_path} is mounted from {path}, which does not exist"
            return path
    raise AssertionError(f"{container_path} is not mounted")


def setup_commands() -> list[list[str]]:
    lines = (COMPOSE_DIR / "setup.sh").read_text().splitlines()
    return [shlex.split(line) for line in lines if line.startswith("grokpipe ")]


@pytest.mark.parametrize("name", ["compose.yaml", "compose.kafka-cluster.yaml"])
def test_compose_files_validate_against_compose_spec(name: str) -> None:
    jsonschema.validate(load_compose(name), compose_schema())


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    for name, svc in services(compose).items():
        image = svc["image"]
        _, _, tag = image.rpartition("/")[2].partition(":")
        assert tag not in {"", "latest"}, f"{name}: {image} is not pinned"
        assert any(c.isdigit() for c in tag), f"{name}: {image} is not pinned to a version"
    base = next(line for line in (COMPOSE_DIR / "Dockerfile").read_text().splitlines() if line.startswith("FROM "))
    assert base.split()[1].startswith("python:3.11.")
    assert "latest" not in base


def test_long_running_services_have_healthcheck_and_restart(compose: dict[str, Any]) -> None:
    for name, svc in services(compose).items():
        if name in ONE_SHOT:
            assert svc["restart"] == "no", name
            continue
        assert svc.get("restart") in {"always", "unless-stopped", "on-failure"}, name
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    for name, path in STATE.items():
        source = mounts(services(compose)[name]).get(path)
        assert source in compose["volumes"], f"{name}: {path} is not a named volume"


def test_example_app_logs_through_syslog_driver_to_the_shipper(compose: dict[str, Any]) -> None:
    logging = services(compose)["example-app"]["logging"]
    assert logging["driver"] == "syslog"
    assert logging["options"] == {
        "syslog-address": "tcp://127.0.0.1:514",
        "syslog-format": "rfc5424micro",
        "tag": "{{.Name}}",
    }
    assert {"514:5514/udp", "514:5514/tcp"} <= set(services(compose)["shipper"]["ports"])


def test_topic_partitions_bound_indexer_replicas(compose: dict[str, Any], env_example: dict[str, str]) -> None:
    command = services(compose)["kafka-topics"]["command"]
    assert f"--partitions={env_example['KAFKA_PARTITIONS']}" in command
    assert "--topic=logs.raw" in command
    assert int(services(compose)["indexer"]["deploy"]["replicas"]) <= int(env_example["KAFKA_PARTITIONS"])


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_service_command_and_settings(
    compose: dict[str, Any], env_example: dict[str, str], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = services(compose)[name]
    argv = [str(arg) for arg in svc["command"]]
    assert argv[0] in commands()
    args = build_parser(argv).parse_args(argv)
    config = host_file(svc, args.config)
    for key in [k for k in list(__import__("os").environ) if k.startswith("GROKPIPE_")]:
        monkeypatch.delenv(key)
    for key, value in svc["environment"].items():
        if key.startswith("GROKPIPE_"):  # all of them: an unknown GROKPIPE_ key must not break the model
            monkeypatch.setenv(key, str(value))
    module_name, _, class_name = SETTINGS[name].partition(":")
    model: type[ServiceSettings] = getattr(importlib.import_module(module_name), class_name)
    settings = model.load(config)
    port = svc["healthcheck"]["test"][-1].rsplit(":", 1)[1].split("/")[0]
    assert settings.http.listen.endswith(f":{port}")  # type: ignore[attr-defined]
    assert svc["environment"]["GROKPIPE_HEALTH_URL"].endswith(f":{port}/healthz")
    for section in ("kafka", "elasticsearch"):
        if hasattr(settings, section):  # addresses come from the environment, secrets too
            dumped = getattr(settings, section).model_dump()
            for key, value in svc["environment"].items():
                prefix = f"GROKPIPE_{section.upper()}__"
                if key.startswith(prefix) and key != f"{prefix}PASSWORD":
                    assert str(dumped[key.removeprefix(prefix).lower()]).find(value.split(",")[0]) >= 0
    if name == "api":
        keys = [key.get_secret_value() for key in settings.auth.admin_keys]  # type: ignore[attr-defined]
        assert keys == json.loads(env_example["API_ADMIN_KEYS"])
        sealing = [key.get_secret_value() for key in settings.checks.secrets_keys]  # type: ignore[attr-defined]
        assert sealing == json.loads(env_example["CHECK_SECRETS_KEYS"])


def test_services_reach_kafka_and_elasticsearch_by_service_name(compose: dict[str, Any]) -> None:
    for name, svc in grokpipe_services(compose).items():
        env = svc.get("environment", {})
        if "GROKPIPE_KAFKA__BOOTSTRAP_SERVERS" in env:
            assert env["GROKPIPE_KAFKA__BOOTSTRAP_SERVERS"].startswith("kafka:"), name
        if "GROKPIPE_ELASTICSEARCH__HOSTS" in env:
            assert (
                env["GROKPIPE_ELASTICSEARCH__PASSWORD"]
                == compose["services"]["elasticsearch"]["environment"]["ELASTIC_PASSWORD"]
            )


def test_setup_installs_the_indexers_own_template(compose: dict[str, Any]) -> None:
    """One source of truth: setup runs `grokpipe indexer --setup-only` with the indexer's config."""
    setup, indexer = services(compose)["setup"], services(compose)["indexer"]
    commands = setup_commands()
    assert commands, "setup.sh runs no grokpipe command"
    for argv in commands:
        args = build_parser(argv[1:]).parse_args(argv[1:])
        assert args.command == "indexer"
        assert args.setup_only
        assert host_file(setup, args.config) == host_file(indexer, indexer["command"][-1])
    assert setup["image"] == indexer["image"]
    # No copy of the template anywhere in the stack: the image carries indexer/templates/logs.json.
    template = (ROOT / "indexer" / "src" / "grokpipe" / "indexer" / "templates" / "logs.json").read_text()
    for path in COMPOSE_DIR.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".yml", ".yaml", ".sh"}:
            assert '"index_patterns"' not in path.read_text(), f"{path} holds a template copy"
    assert '"index_patterns"' in template


def test_setup_imports_kibana_saved_objects(compose: dict[str, Any]) -> None:
    script = (COMPOSE_DIR / "setup.sh").read_text()
    assert "/api/saved_objects/_import?overwrite=true" in script
    assert "kbn-xsrf: true" in script
    target = next(t for t, s in mounts(services(compose)["setup"]).items() if s == "./kibana")
    for ref in [w.split("@", 1)[1] for w in script.split() if w.startswith("file=@")]:
        assert (COMPOSE_DIR / "kibana" / Path(ref).relative_to(target)).is_file()


def test_image_carries_the_packages_patterns_and_template() -> None:
    lines = (COMPOSE_DIR / "Dockerfile").read_text().splitlines()
    copied = {line.split()[1] for line in lines if line.startswith("COPY ")}
    assert {"core", "shipper", "indexer", "api", "grok_patterns"} <= copied
    assert "RUN mkdir -p /var/lib/grokpipe/shipper" in lines  # the shipper's volume is writable by its user
    installs = [line for line in lines if line.startswith("RUN pip install")]
    assert installs
    assert all(".whl" in line and " -e " not in line for line in installs)
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert not ignored & {"core", "shipper", "indexer", "api", "grok_patterns"}
