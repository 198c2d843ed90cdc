from __future__ import annotations

from pathlib import Path

import pytest

from grokpipe.settings import ConfigError
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.file.config import FileInputSettings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shipper.yml"
    path.write_text(text)
    return path


def test_example_config_is_valid() -> None:
    settings = ShipperSettings.load(Path(__file__).parents[3] / "examples" / "shipper.yml")
    assert settings.kafka.topic == "logs.raw"
    assert any(isinstance(i, FileInputSettings) and i.dataset == "nginx.error" for i in settings.inputs)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("inputs: [{type: file}]", "inputs.0.file.paths: Field required"),
        ("inputs: [{type: file, paths: [a], tail: true}]", "inputs.0.file.tail: unknown key"),
        ("inputs: [{type: ftp}]", "inputs.0: Input tag 'ftp' found using 'type' does not match"),
        ("kafka: {brokers: [x]}\ninputs: [{type: file, paths: [a]}]", "kafka.brokers: unknown key"),
        ("http: {listen: nowhere}\ninputs: [{type: file, paths: [a]}]", "http.listen: Value error, expected HOST:PORT"),
        (
            "inputs: [{type: file, paths: [a], multiline: {pattern: '('}}]",
            "inputs.0.file.multiline.pattern",
        ),
        ("inputs: [{type: file, paths: [a]}, {type: file, paths: [a]}]", "repeated"),
        ("[1, 2]", "top level must be a mapping"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        ShipperSettings.load(write(tmp_path, text))
    assert fragment in str(info.value)


def test_environment_overrides_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "kafka: {topic: from-file, bootstrap_servers: [a:1]}\ninputs: [{type: file, paths: [a]}]")
    monkeypatch.setenv("GROKPIPE_KAFKA__BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    settings = ShipperSettings.load(path)
    assert settings.kafka.bootstrap_servers == ["k1:9092", "k2:9092"]
    assert settings.kafka.topic == "from-file"
