"""``grokpipe up``'s first hour: the ports it will use, a taken one named with its service and key before
anything starts, the banner once every service answers, with the URLs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from grokpipe import endpoints
from grokpipe.cli import main
from grokpipe.embedded import free_port

ROOT = Path(__file__).resolve().parents[3]


def write_examples(folder: Path, api_port: int, syslog_port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "api.yml").write_text(f'http: {{listen: "127.0.0.1:{api_port}"}}\n')
    (folder / "shipper.yml").write_text(
        'http: {listen: "127.0.0.1:5066"}\n'
        "inputs:\n"
        "  - {type: file, id: f, paths: [x.log]}\n"
        f'  - {{type: syslog, id: syslog, listen: ["udp://127.0.0.1:{syslog_port}", "tcp://127.0.0.1:{syslog_port}"]}}\n'
    )
    return folder


def test_endpoints_of_the_example_configs_name_their_keys() -> None:
    found = endpoints.endpoints(ROOT / "examples", ["shipper", "indexer", "api"], {}, kafka_port=9092, es_port=9200)
    keys = {(e.service, e.protocol, e.port): e.key for e in found}
    assert keys[("api", "http", 8000)] == f"http.listen in {ROOT / 'examples' / 'api.yml'}"
    assert keys[("indexer", "http", 5067)].startswith("http.listen in ")
    assert keys[("shipper (syslog)", "tcp", 5514)].startswith("inputs[4].listen in ")
    assert ("shipper (syslog)", "udp", 5514) in keys
    assert keys[("Kafka", "tcp", 9092)] == "grokpipe up --kafka-port"


def test_a_port_in_use_names_the_port_the_service_and_the_key(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        examples = write_examples(tmp_path, api_port=port, syslog_port=free_port())
        found = endpoints.endpoints(examples, ["api", "shipper"], {}, kafka_port=free_port(), es_port=free_port())
        with pytest.raises(endpoints.PortInUse) as caught:
            endpoints.check_free(found)
    message = str(caught.value)
    assert f"port {port} " in message
    assert "api listens there" in message
    assert f"http.listen in {tmp_path / 'api.yml'}" in message


def test_grokpipe_up_exits_cleanly_when_a_port_is_taken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code = main(
            ["up", "--examples", str(write_examples(tmp_path, free_port(), free_port())), "--kafka-port", str(port)]
        )
    assert code == 2
    err = capsys.readouterr().err
    assert f"grokpipe up: port {port} (tcp, 127.0.0.1) is in use: Kafka listens there (grokpipe up --kafka-port)" in err
    assert "Traceback" not in err


@contextmanager
def healthz_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_wait_ready_waits_for_health_and_syslog_and_reports_what_does_not_answer(tmp_path: Path) -> None:
    with healthz_server() as port, socket.create_server(("127.0.0.1", 0)) as syslog:
        syslog_port = syslog.getsockname()[1]
        api = endpoints.Endpoint("api", "http", "127.0.0.1", port, "http.listen")
        tcp = endpoints.Endpoint("shipper (syslog)", "tcp", "127.0.0.1", syslog_port, "inputs[0].listen")
        udp = endpoints.Endpoint("shipper (syslog)", "udp", "127.0.0.1", syslog_port, "inputs[0].listen")
        silent = endpoints.Endpoint("indexer", "http", "127.0.0.1", free_port(), "http.listen")
        assert endpoints.wait_ready([api, tcp, udp], timeout=30) == []
        assert endpoints.wait_ready([api, silent], timeout=0.5) == [silent]


def test_wait_ready_stops_when_a_service_exits() -> None:
    silent = endpoints.Endpoint("indexer", "http", "127.0.0.1", free_port(), "http.listen")
    assert endpoints.wait_ready([silent], timeout=600, stop=lambda: True) == [silent]


def test_banner_lists_the_urls() -> None:
    found = endpoints.endpoints(ROOT / "examples", ["shipper", "indexer", "api"], {}, kafka_port=9092, es_port=9200)
    text = endpoints.banner(found, ["shipper", "indexer", "api"], late=[])
    assert "grokpipe is up: shipper, indexer, api." in text
    assert "Web console:   http://127.0.0.1:8000/ui/" in text
    assert "API docs:      http://127.0.0.1:8000/docs" in text
    assert "Search logs:   http://127.0.0.1:8000/ui/logs, or grokpipe search QUERY" in text
    assert "Syslog:        tcp://127.0.0.1:5514" in text
    assert "Syslog:        udp://127.0.0.1:5514" in text
    assert "indexer health:http://127.0.0.1:5067/healthz" in text
    assert "Elasticsearch: http://127.0.0.1:9200" in text
    assert "not answering" not in text


def test_a_sentry_input_is_a_port_to_check_and_its_dsns_are_in_the_banner(tmp_path: Path) -> None:
    (tmp_path / "shipper.yml").write_text(
        "inputs:\n"
        '  - {type: sentry, id: sentry, listen: "0.0.0.0:9000", projects: [{id: 1, name: shop,'
        ' keys: ["e12d836b15bb49d7bbf99e64295d995b", "00000000000000000000000000000000"]}, {id: 2, name: ops,'
        ' keys: ["11111111111111111111111111111111"]}]}\n'
    )
    found = endpoints.endpoints(tmp_path, ["shipper"], {}, kafka_port=9092, es_port=9200)
    (sentry,) = [e for e in found if e.dsns]
    assert (sentry.service, sentry.protocol, sentry.port) == ("shipper (sentry)", "tcp", 9000)
    assert sentry.key == f"inputs[0].listen in {tmp_path / 'shipper.yml'}"
    text = endpoints.banner(found, ["shipper"], late=[])
    assert "Sentry DSN:    http://e12d836b15bb49d7bbf99e64295d995b@127.0.0.1:9000/1  (shipper (sentry))" in text
    assert "http://11111111111111111111111111111111@127.0.0.1:9000/2" in text
    assert "00000000000000000000000000000000" not in text  # one DSN per project: its first key
