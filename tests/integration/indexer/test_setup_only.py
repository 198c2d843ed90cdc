"""``grokpipe indexer -c FILE --setup-only``: what the compose stack's one-shot setup service runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from elasticsearch import Elasticsearch

from grokpipe.embedded import EmbeddedStack

EXAMPLE = Path(__file__).parents[3] / "examples" / "indexer.yml"


def test_setup_only_installs_templates_and_exits_0(stack: EmbeddedStack) -> None:
    env = os.environ | {
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
        "GROKPIPE_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
    }
    for _ in range(2):  # idempotent
        done = subprocess.run(
            [sys.executable, "-m", "grokpipe.cli", "indexer", "-c", str(EXAMPLE), "--setup-only"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    es = Elasticsearch(stack.elasticsearch_url)
    try:
        template = es.indices.get_index_template(name="grokpipe-logs")["index_templates"][0]["index_template"]
        assert template["index_patterns"] == ["logs-*-*"]
        assert template["priority"] == 200
        assert es.indices.exists(index="grokpipe-deadletter")
    finally:
        es.close()
