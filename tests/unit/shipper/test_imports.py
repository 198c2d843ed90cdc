"""The shipper's start path stays light: no Elasticsearch client, no kafka-python (its admin client
came with ``import kafka``), no FastAPI. They were a third to a half of its start-up time."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("elasticsearch", "elastic_transport", "kafka", "fastapi", "starlette")


def test_the_shipper_imports_none_of_the_other_services_clients() -> None:
    code = (
        "import sys\n"
        "import grokpipe.cli, grokpipe.shipper.main, grokpipe.shipper.service, grokpipe.shipper.syslog.input\n"
        f"print(','.join(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == ""
