from __future__ import annotations

from pathlib import Path

import pytest

from grokpipe.settings import ConfigError
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.syslog.config import ListenAddress, SyslogInputSettings, parse_listen


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shipper.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("udp://127.0.0.1:5514", ListenAddress("udp", "127.0.0.1", 5514, "")),
        ("tcp://0.0.0.0:514", ListenAddress("tcp", "0.0.0.0", 514, "")),
        ("tcp://[::1]:5514", ListenAddress("tcp", "::1", 5514, "")),
        ("tls://logs.example.com:6514", ListenAddress("tls", "logs.example.com", 6514, "")),
        ("unix:///dev/log", ListenAddress("unix", "", 0, "/dev/log")),
        ("unix-stream:///run/syslog.sock", ListenAddress("unix-stream", "", 0, "/run/syslog.sock")),
    ],
)
def test_listen_urls(url: str, expected: ListenAddress) -> None:
    address = parse_listen(url)
    assert address == expected
    assert str(address) == url


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5514", "tcp://127.0.0.1", "udp://:5514", "tcp://[::1]:99999", "unix://relative", "tcp://h:1/x"],
)
def test_bad_listen_urls(url: str) -> None:
    with pytest.raises(ValueError, match=r"tcp|udp|unix|scheme|port|Port"):
        parse_listen(url)


def test_defaults() -> None:
    settings = SyslogInputSettings.model_validate({"type": "syslog", "listen": ["udp://127.0.0.1:5514"]})
    assert settings.max_message_bytes == 64 * 1024
    assert settings.name == "syslog"
    assert settings.tls is None
    assert settings.spool.fsync == "interval"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("inputs: [{type: syslog, listen: ['tcp://nowhere']}]", "inputs.0.syslog.listen"),
        ("inputs: [{type: syslog, listen: []}]", "inputs.0.syslog.listen"),
        ("inputs: [{type: syslog, listen: ['udp://h:1', 'udp://h:1']}]", "listed twice"),
        ("inputs: [{type: syslog, listen: ['udp://h:1'], timezone: Mars/Olympus}]", "inputs.0.syslog.timezone"),
        ("inputs: [{type: syslog, listen: ['udp://h:1'], max_message_bytes: 10}]", "inputs.0.syslog.max_message_bytes"),
        ("inputs: [{type: syslog, listen: ['tls://h:1']}]", "needs tls"),
        ("inputs: [{type: syslog, listen: ['tls://h:1'], tls: {cert: /nope.pem, key: /nope.key}}]", "no such file"),
        ("inputs: [{type: syslog, listen: ['udp://h:1'], spool: {fsync: sometimes}}]", "inputs.0.syslog.spool.fsync"),
        ("inputs: [{type: syslog, listen: ['udp://h:1'], port: 514}]", "inputs.0.syslog.port: unknown key"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        ShipperSettings.load(write(tmp_path, text))
    assert fragment in str(info.value)


def test_example_listens_on_5514() -> None:
    settings = ShipperSettings.load(Path(__file__).parents[4] / "examples" / "shipper.yml")
    syslog = [i for i in settings.inputs if isinstance(i, SyslogInputSettings)]
    assert [str(a) for a in syslog[0].addresses] == ["udp://127.0.0.1:5514", "tcp://127.0.0.1:5514"]
