"""The api config names a monitor notifier that does not exist at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from grokpipe.api.config import ApiSettings

BASE = {
    "auth": {"admin_keys": ["admin-key-0123456789"]},
    "notifiers": {"hook": {"type": "webhook", "url": "http://x/"}},
}


def test_monitors_notify_names_known_notifiers() -> None:
    assert ApiSettings.model_validate(BASE | {"monitors": {"notify": ["hook"]}}).monitors.notify == ["hook"]
    with pytest.raises(ValidationError, match=r"monitors\.notify: unknown notifiers nope"):
        ApiSettings.model_validate(BASE | {"monitors": {"notify": ["hook", "nope"]}})
    with pytest.raises(ValidationError, match="every"):
        ApiSettings.model_validate(BASE | {"monitors": {"every": 0}})
