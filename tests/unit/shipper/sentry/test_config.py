from __future__ import annotations

from pathlib import Path

import pytest

from grokpipe.settings import ConfigError
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.sentry.config import SentryInputSettings

KEY = "e12d836b15bb49d7bbf99e64295d995b"
PROJECTS = f"projects: [{{id: 1, name: shop, keys: ['{KEY}']}}]"


def load(tmp_path: Path, text: str) -> ShipperSettings:
    path = tmp_path / "shipper.yml"
    path.write_text(text)
    return ShipperSettings.load(path)


def test_the_issue_s_config(tmp_path: Path) -> None:
    settings = load(tmp_path, f"inputs: [{{type: sentry, id: sentry, listen: '0.0.0.0:8000', {PROJECTS}}}]")
    [spec] = settings.inputs
    assert isinstance(spec, SentryInputSettings)
    assert spec.address == ("0.0.0.0", 8000)
    assert spec.projects[0].name == "shop"
    assert spec.rate_limit is not None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (f"inputs: [{{type: sentry, listen: nowhere, {PROJECTS}}}]", "inputs.0.sentry.listen"),
        ("inputs: [{type: sentry, listen: ':1', projects: []}]", "inputs.0.sentry.projects"),
        ("inputs: [{type: sentry, listen: 'h:1', projects: [{id: 1, name: a, keys: [XYZ]}]}]", "keys.0"),
        (
            f"inputs: [{{type: sentry, listen: 'h:1', projects: [{{id: 1, name: a, keys: ['{KEY}']}},"
            f" {{id: 1, name: b, keys: ['{KEY}']}}]}}]",
            "each id once",
        ),
        (f"inputs: [{{type: sentry, listen: 'h:1', {PROJECTS}, spool: {{fsync: maybe}}}}]", "spool.fsync"),
        (f"inputs: [{{type: sentry, listen: 'h:1', {PROJECTS}, port: 1}}]", "inputs.0.sentry.port: unknown key"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert fragment in str(info.value)
