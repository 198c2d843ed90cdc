"""The repository's layout holds what make lint's import contracts assume: every module of the shared core is under
the contract that keeps it free of services, and every distribution carries the product's version."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from grokpipe.version import __version__

ROOT = Path(__file__).parents[3]
DISTRIBUTIONS = ("core", "grok_patterns", "shipper", "indexer", "api")


def root_config() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_core_contract_names_every_module_of_the_core() -> None:
    contracts = root_config()["tool"]["importlinter"]["contracts"]  # type: ignore[index]
    services = ["grokpipe.shipper", "grokpipe.indexer", "grokpipe.api"]
    (core,) = [c for c in contracts if c.get("forbidden_modules") == services]
    package = ROOT / "core" / "src" / "grokpipe"
    modules = {f"grokpipe.{path.stem}" for path in package.glob("*.py")}
    modules |= {f"grokpipe.{path.name}" for path in package.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert set(core["source_modules"]) == modules


def test_every_distribution_has_the_products_version_and_no_init_at_the_namespace() -> None:
    for name in DISTRIBUTIONS:
        project = tomllib.loads((ROOT / name / "pyproject.toml").read_text())["project"]
        assert project["version"] == __version__, name
    assert root_config()["project"]["version"] == __version__  # type: ignore[index]
    for name in ("core", "shipper", "indexer", "api"):
        assert not (ROOT / name / "src" / "grokpipe" / "__init__.py").exists(), name


def test_no_symlinks_in_the_tree() -> None:
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines() if line.startswith("120000 ")]
    assert links == []
