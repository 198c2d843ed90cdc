"""Real syslog clients into the shipper and on to Kafka: util-linux logger, Python's SysLogHandler,
Docker's frames, rsyslog forwarding over TCP (octet counted) and TLS."""

from __future__ import annotations

import logging
import logging.handlers
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.kafka import consume
from support.syslog import DOCKER_FRAMES, check_docker_fields

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper

StartShipper = Callable[..., Shipper]  # the start_shipper fixture


def by_message(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["message"]: e for e in events}


def logger(*args: str) -> None:
    subprocess.run(["logger", *args], check=True, timeout=30)


def test_util_linux_logger_every_transport_and_format(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str, sockdir: Path
) -> None:
    p = free_port()
    dgram, stream = sockdir / "dev-log", sockdir / "stream"
    start_shipper([f"udp://127.0.0.1:{p}", f"tcp://127.0.0.1:{p}", f"unix://{dgram}", f"unix-stream://{stream}"])
    net = ["-n", "127.0.0.1", "-P", str(p), "-t", "myapp", "--id=4242"]
    logger(*net, "-d", "udp default")
    logger(*net, "-T", "tcp default")
    logger(*net, "-T", "--octet-count", "tcp octet counted")
    logger(*net, "-d", "--rfc3164", "udp rfc3164")
    logger(*net, "-T", "--rfc3164", "tcp rfc3164")
    logger(*net, "-T", "--rfc5424", "--msgid", "M1", "--sd-id", "ex@32473", "--sd-param", 'k="v"', "tcp rfc5424 sd")
    logger("-u", str(dgram), "-t", "myapp", "-p", "auth.err", "unix datagram")
    logger("-u", str(stream), "--socket-errors=on", "-t", "myapp", "unix stream")
    events = by_message(consume(stack.kafka_bootstrap, topic, expect=8))
    assert len(events) == 8
    for message, event in events.items():
        syslog = event["log"]["syslog"]
        assert syslog["appname"] == "myapp", message
        assert event["event"]["dataset"] == "syslog"
        assert event["input"] == {"type": "syslog"}
        assert event["event"]["original"].endswith(message)
        assert "tags" not in event, message
        if not message.startswith("unix"):
            assert event["source"]["ip"] == "127.0.0.1"
            assert event["process"]["pid"] == 4242
            assert syslog["hostname"] == socket.gethostname()
    assert events["tcp rfc5424 sd"]["log"]["syslog"]["structured_data"]["ex@32473"] == {"k": "v"}
    assert events["tcp rfc5424 sd"]["log"]["syslog"]["msgid"] == "M1"
    assert events["unix datagram"]["log"]["syslog"]["severity"]["name"] == "error"
    assert events["unix datagram"]["log"]["syslog"]["facility"]["name"] == "auth"
    assert len({e["event"]["id"] for e in events.values()}) == 8


def test_python_sysloghandler_udp_tcp_unix(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str, sockdir: Path
) -> None:
    p = free_port()
    dgram = sockdir / "dev-log"
    start_shipper([f"udp://127.0.0.1:{p}", f"tcp://127.0.0.1:{p}", f"unix://{dgram}"])
    log = logging.getLogger("grokpipe-test-syslog")
    log.propagate = False
    handlers = {
        "udp": logging.handlers.SysLogHandler(("127.0.0.1", p)),
        "tcp": logging.handlers.SysLogHandler(("127.0.0.1", p), socktype=socket.SOCK_STREAM),
        "unix": logging.handlers.SysLogHandler(str(dgram)),
    }
    for name, handler in handlers.items():
        handler.setFormatter(logging.Formatter("billing: %(message)s"))
        log.addHandler(handler)
        for i in range(50):
            log.warning("%s message %d", name, i)
        log.removeHandler(handler)
        handler.close()
    events = by_message(consume(stack.kafka_bootstrap, topic, expect=150))
    assert set(events) == {f"{name} message {i}" for name in handlers for i in range(50)}
    for event in events.values():
        assert event["process"]["name"] == "billing"
        assert event["log"]["syslog"]["severity"]["name"] == "warning"
        assert event["log"]["syslog"]["facility"]["name"] == "user"
        assert "tags" not in event


@pytest.mark.parametrize("framing", ["lf", "octet-counted"])
def test_docker_frames_with_tags(start_shipper: StartShipper, stack: EmbeddedStack, topic: str, framing: str) -> None:
    p = free_port()
    start_shipper([f"tcp://127.0.0.1:{p}"])
    with socket.create_connection(("127.0.0.1", p)) as conn:
        for _, frame, _ in DOCKER_FRAMES:
            conn.sendall(frame + b"\n" if framing == "lf" else b"%d %s" % (len(frame), frame))
    events = by_message(consume(stack.kafka_bootstrap, topic, expect=len(DOCKER_FRAMES)))
    assert len(events) == len(DOCKER_FRAMES)
    for _, _, expected in DOCKER_FRAMES:
        check_docker_fields(events[expected["message"]], expected)


def rsyslog(conf: str, work: Path) -> subprocess.Popen[bytes]:
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    (work / "rsyslog.conf").write_text(f'global(workDirectory="{work}")\n' + conf)
    with (work / "rsyslogd.err").open("wb") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [rsyslogd, "-n", "-f", str(work / "rsyslog.conf"), "-i", str(work / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def make_certificate(work: Path) -> tuple[Path, Path]:
    cert, key = work / "server.pem", work / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_rsyslog_forwards_octet_counted_tcp_and_tls(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str, tmp_path: Path
) -> None:
    """rsyslog receives on UDP and forwards each message twice: omfwd TCP octet-counted, omfwd TLS."""
    cert, key = make_certificate(tmp_path)
    tcp_port, tls_port, in_port = free_port(), free_port(), free_port()
    start_shipper(
        [f"tcp://127.0.0.1:{tcp_port}", f"tls://127.0.0.1:{tls_port}"], tls={"cert": str(cert), "key": str(key)}
    )
    work = tmp_path / "rsyslog"
    work.mkdir()
    proc = rsyslog(
        f"""
global(DefaultNetstreamDriverCAFile="{cert}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{in_port}" ruleset="fwd")
ruleset(name="fwd") {{
  action(type="omfwd" target="127.0.0.1" port="{tcp_port}" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format" queue.type="LinkedList" action.resumeRetryCount="-1")
  action(type="omfwd" target="127.0.0.1" port="{tls_port}" protocol="tcp" StreamDriver="gtls"
         StreamDriverMode="1" StreamDriverAuthMode="anon" template="RSYSLOG_ForwardFormat"
         queue.type="LinkedList" action.resumeRetryCount="-1")
}}
""",
        work,
    )
    try:
        time.sleep(1.0)  # rsyslog opens its UDP input
        for i in range(100):
            logger("-n", "127.0.0.1", "-P", str(in_port), "-d", "--rfc3164", "-t", "relayed", f"via rsyslog {i}")
        events = consume(stack.kafka_bootstrap, topic, expect=200, timeout=90)
    finally:
        proc.terminate()
        proc.wait(30)
    for event in events:
        assert event["log"]["syslog"]["appname"] == "relayed"
        assert "tags" not in event, event
    # rsyslog keeps the space after "tag:" in its msg property: it forwards " via rsyslog N"
    messages = sorted(e["message"].lstrip() for e in events)
    assert messages == sorted([f"via rsyslog {i}" for i in range(100)] * 2)
    versions = [e["log"]["syslog"].get("version") for e in events]
    assert versions.count(1) == 100  # RFC 5424 came over TCP, the BSD forward format over TLS


def test_ipv6_udp_and_tcp(start_shipper: StartShipper, stack: EmbeddedStack, topic: str) -> None:
    p = free_port()
    start_shipper([f"udp://[::1]:{p}", f"tcp://[::1]:{p}"])
    logger("-n", "::1", "-P", str(p), "-d", "-t", "six", "over udp6")
    logger("-n", "::1", "-P", str(p), "-T", "-t", "six", "over tcp6")
    events = by_message(consume(stack.kafka_bootstrap, topic, expect=2))
    assert set(events) == {"over udp6", "over tcp6"}
    assert {e["source"]["ip"] for e in events.values()} == {"::1"}


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def test_tls_with_client_certificates(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str, tmp_path: Path
) -> None:
    """With ``client_ca`` the TLS listener takes only clients whose certificate that CA signed."""
    cert, key = make_certificate(tmp_path)
    ca_key, ca, client_key, client_csr, client = (
        tmp_path / n for n in ("ca.key", "ca.pem", "client.key", "client.csr", "client.pem")
    )
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client",
            "-keyout", str(client_key), "-out", str(client_csr))  # fmt: skip
    openssl("x509", "-req", "-in", str(client_csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-out", str(client))  # fmt: skip
    p = free_port()
    start_shipper([f"tls://127.0.0.1:{p}"], tls={"cert": str(cert), "key": str(key), "client_ca": str(ca)})

    def send(message: bytes, with_certificate: bool) -> bool:
        context = ssl.create_default_context(cafile=str(cert))
        if with_certificate:
            context.load_cert_chain(str(client), str(client_key))
        try:
            with (
                socket.create_connection(("127.0.0.1", p), timeout=2) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1") as conn,
            ):
                conn.sendall(message)
                # TLS 1.3 reports a refused client certificate on the first read (an alert or EOF);
                # an accepted client just hears nothing until the timeout
                return conn.recv(1) != b""
        except (ssl.SSLError, ConnectionResetError):
            return False
        except TimeoutError:
            return True

    assert not send(b"<13>Nov 23 06:00:00 h app: without a certificate\n", with_certificate=False)
    assert send(b"<13>Nov 23 06:00:00 h app: with a certificate\n", with_certificate=True)
    events = consume(stack.kafka_bootstrap, topic, expect=1)
    assert [e["message"] for e in events] == ["with a certificate"]
