"""``monitors:`` of api.yml: the monitors' own settings, beside the code that reads them."""

from __future__ import annotations

from pydantic import Field

from grokpipe.settings import Section


class MonitorSettings(Section):
    """Cron monitors (``/monitors``): evaluated every ``every`` seconds, a lease per monitor."""

    enabled: bool = True
    every: float = Field(default=30.0, ge=1, description="seconds between evaluations of each monitor")
    #: notifiers of the monitors a first check-in creates (a monitor's own ``notify`` replaces it)
    notify: list[str] = Field(default_factory=list)
