"""The setup service's own command line, with its compose environment, against the embedded servers."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

from elasticsearch import Elasticsearch
from support.deploy import COMPOSE_DIR, load_compose

from grokpipe.embedded import EmbeddedStack


def test_setup_command_installs_the_template(stack: EmbeddedStack) -> None:
    setup: dict[str, Any] = load_compose()["services"]["setup"]
    config = {target: source for source, target, *_ in (v.split(":") for v in setup["volumes"])}
    script = (COMPOSE_DIR / "setup.sh").read_text().splitlines()
    argv = next(shlex.split(line) for line in script if line.startswith("grokpipe "))
    # The container path of the config file -> the file in the repository it is mounted from.
    argv = [str((COMPOSE_DIR / config[arg]).resolve()) if arg in config else arg for arg in argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROKPIPE_")}
    env |= {k: str(v) for k, v in setup["environment"].items() if k.startswith("GROKPIPE_")}
    env |= {"GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url}  # instead of http://elasticsearch:9200
    done = subprocess.run(
        [sys.executable, "-m", "grokpipe.cli", *argv[1:]], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    es = Elasticsearch(stack.elasticsearch_url)
    try:
        template = es.indices.get_index_template(name="grokpipe-logs")["index_templates"][0]["index_template"]
        assert template["index_patterns"] == ["logs-*-*"]
    finally:
        es.close()
