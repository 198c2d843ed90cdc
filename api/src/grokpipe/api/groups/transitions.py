"""How a group changes when new events of it are seen: counts, first/last seen, regressions, ignores.

Pure functions over :class:`ErrorGroup`; the sync applies them and writes the result with
compare-and-set, so a transition (and the notification it queues) happens once across replicas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from grokpipe.api.groups.schemas import ErrorGroup
from grokpipe.api.groups.stats import RELEASE, RELEASES, KeyStats, get
from grokpipe.fieldnames import ERROR_CULPRIT, ERROR_TITLE


@dataclass(frozen=True)
class NotifyPolicy:
    """Which transitions notify. A new group and a regression are new facts: both notify whatever was sent
    before. ``realert`` only holds back a group that flaps (regressed again within ``realert`` of its last
    regression), and what it holds back is recorded in ``/alerts`` as suppressed, with the reason."""

    enabled: bool
    levels: frozenset[str]
    realert: timedelta

    def wanted(self, group: ErrorGroup) -> bool:
        return self.enabled and (not self.levels or (group.level or "") in self.levels)

    def held_back(self, group: ErrorGroup, now: datetime) -> str | None:
        """Why a regression of ``group`` (as it was before it) is not notified, or None: notify it."""
        last = group.regressed_at
        if last is not None and now - last < self.realert:
            return (
                f"regressed again within errors.realert ({_human(self.realert)}) of its last regression"
                f" at {last.isoformat(timespec='seconds')}"
            )
        return None


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(x for x in (a, b) if x is not None) if a or b else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(x for x in (a, b) if x is not None) if a or b else None


def _merge_top(old: list[str], new: list[str], limit: int = 5) -> list[str]:
    return list(dict.fromkeys([*new, *old]))[:limit]


def observe(group: ErrorGroup | None, stats: KeyStats, added: int, settled_through: datetime) -> ErrorGroup:
    """``group`` (None: new) after ``stats``; ``added`` settled events join its stored count.

    Idempotent except for ``added``, which the caller computes from ``settled_through`` bounds.
    """
    latest = stats.latest
    base = group or ErrorGroup(id=stats.key)
    line = get(latest, "log.origin.file.line")
    update = {
        "count": base.count + added,
        "settled_through": max(base.settled_through, settled_through),
        "first_seen": _earliest(base.first_seen, stats.first_seen),
        "last_seen": _latest(base.last_seen, stats.last_seen),
        "hosts": _merge_top(base.hosts, stats.hosts),
        "datasets": _merge_top(base.datasets, stats.datasets),
        "containers": _merge_top(base.containers, stats.containers),
        "environments": _merge_top(base.environments, stats.environments),
        "releases": _merge_top(
            base.releases, sorted(stats.releases, key=stats.releases.__getitem__, reverse=True), RELEASES
        ),
    }
    if stats.first_seen is not None and (base.first_seen is None or stats.first_seen < base.first_seen):
        update["first_release"] = stats.first_release
    if stats.last_seen is not None and (base.last_seen is None or stats.last_seen >= base.last_seen):
        update["samples"] = _merge_top(base.samples, stats.samples)
        # the newest event describes the group: a title that got better with a new indexer wins
        update |= {
            "title": str(get(latest, ERROR_TITLE) or base.title or ""),
            "type": get(latest, "error.type") or base.type,
            "culprit": get(latest, ERROR_CULPRIT) or base.culprit,
            "level": get(latest, "log.level") or base.level,
            "origin_file": get(latest, "log.origin.file.name") or base.origin_file,
            "origin_line": int(line) if isinstance(line, int | str) and str(line).isdigit() else base.origin_line,
            "last_release": get(latest, RELEASE) or base.last_release,
        }
    return base.model_copy(update=update)


def later_release(group: ErrorGroup, releases: Mapping[str, datetime] | None) -> datetime | None:
    """For a group resolved in the next release: the newest event after the resolution from a release
    it had not been seen in when resolved (a later release), or None. Events without a release, and
    events of the releases it was seen in (old deploys still running), do not regress it."""
    if group.resolved_at is None:
        return None
    later = [
        at
        for release, at in (releases or {}).items()
        if release not in group.resolved_releases and at > group.resolved_at
    ]
    return max(later, default=None)


def react(
    group: ErrorGroup,
    *,
    newest: datetime | None,
    total: int,
    now: datetime,
    policy: NotifyPolicy,
    created: bool,
    releases: Mapping[str, datetime] | None = None,
) -> ErrorGroup:
    """Status after events up to ``newest`` (of this group or its aliases; ``releases``: the newest event
    of each release among them): new, regressed, ignore over."""
    pending = list(group.pending)
    update: dict[str, object] = {}
    if group.status == "resolved" and group.resolved_in_next_release:
        newest = later_release(group, releases)
    if created:
        update["created"] = now
        if policy.wanted(group) and "new" not in pending:
            pending.append("new")
    elif group.status == "resolved" and newest is not None and group.resolved_at and newest > group.resolved_at:
        # when it happened again (the event's time), so a digest lists it in the period it recurred
        update |= {
            "status": "unresolved",
            "regressed_at": min(newest, now),
            "resolved_at": None,
            "resolved_in_next_release": False,
            "resolved_releases": [],
        }
        reason = policy.held_back(group, now) if policy.wanted(group) else None
        if reason is not None:
            update["suppressed"] = [*group.suppressed, reason]
            if "suppressed" not in pending:
                pending.append("suppressed")
        elif policy.wanted(group) and "regressed" not in pending:
            pending.append("regressed")
    if group.status == "ignored":
        over_time = group.ignore_until is not None and now >= group.ignore_until
        over_count = group.ignore_until_count is not None and total >= group.ignore_until_count
        if over_time or over_count:
            update |= {"status": "unresolved", "ignore_until": None, "ignore_until_count": None}
    update["pending"] = pending
    return group.model_copy(update=update)
