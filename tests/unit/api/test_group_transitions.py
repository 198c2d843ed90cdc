"""Group transitions as pure functions: counts and times from what a pass saw, status changes, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grokpipe.api.groups.blame import parse_porcelain
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.groups.stats import KeyStats, fold
from grokpipe.api.groups.transitions import NotifyPolicy, observe, react

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
ON = NotifyPolicy(enabled=True, levels=frozenset(), realert=timedelta(hours=1))
OFF = NotifyPolicy(enabled=False, levels=frozenset(), realert=timedelta(0))


def stats(**kw: object) -> KeyStats:
    base: dict[str, object] = {"key": "k", "seen": 2, "settled": 1, "first_seen": T - H, "last_seen": T}
    base["latest"] = {
        "@timestamp": T.isoformat(),
        "error": {"title": "t", "culprit": "/a.php:3"},
        "log": {"level": "critical"},
    }
    return KeyStats(**(base | kw))  # type: ignore[arg-type]


def test_observe_a_new_group_takes_its_description_from_the_newest_event() -> None:
    group = observe(None, stats(), added=1, settled_through=T)
    assert (group.id, group.count, group.settled_through) == ("k", 1, T)
    assert (group.title, group.culprit, group.level) == ("t", "/a.php:3", "critical")
    assert (group.first_seen, group.last_seen) == (T - H, T)


def test_observe_is_idempotent_but_for_the_added_count() -> None:
    once = observe(None, stats(), added=1, settled_through=T)
    twice = observe(once, stats(), added=0, settled_through=T)
    assert twice == once


def test_late_events_move_first_seen_but_not_the_description() -> None:
    group = observe(None, stats(), added=1, settled_through=T)
    late = stats(first_seen=T - 5 * H, last_seen=T - 4 * H, latest={"error": {"title": "old"}})
    moved = observe(group, late, added=1, settled_through=T + H)
    assert (moved.first_seen, moved.last_seen, moved.title, moved.count) == (T - 5 * H, T, "t", 2)


@pytest.mark.parametrize(
    ("status", "resolved_at", "newest", "expected", "pending"),
    [
        ("resolved", T - H, T, "unresolved", ["regressed"]),  # seen after the resolution
        ("resolved", T, T - H, "resolved", []),  # a late event from before it
        ("unresolved", None, T, "unresolved", []),
        ("ignored", None, T, "ignored", []),
    ],
)
def test_react_regressions(
    status: str, resolved_at: datetime | None, newest: datetime, expected: str, pending: list[str]
) -> None:
    group = ErrorGroup(id="k", status=status, resolved_at=resolved_at)  # type: ignore[arg-type]
    after = react(group, newest=newest, total=5, now=T + H, policy=ON, created=False)
    assert (after.status, after.pending) == (expected, pending)
    if pending:
        assert after.regressed_at == newest  # when it recurred, not when the pass noticed


def test_react_new_groups_notify_once_and_respect_levels() -> None:
    group = ErrorGroup(id="k", level="warning")
    assert react(group, newest=T, total=1, now=T, policy=ON, created=True).pending == ["new"]
    assert react(group, newest=T, total=1, now=T, policy=OFF, created=True).pending == []
    critical_only = NotifyPolicy(enabled=True, levels=frozenset({"critical"}), realert=timedelta(0))
    assert react(group, newest=T, total=1, now=T, policy=critical_only, created=True).pending == []


def test_a_regression_within_realert_of_the_new_notification_is_notified() -> None:
    """A regression is a new fact, not a repeat: realert of the group's first message does not hold it back."""
    recently = ErrorGroup(id="k", status="resolved", resolved_at=T - H, notified_at=T - timedelta(minutes=5))
    after = react(recently, newest=T, total=1, now=T, policy=ON, created=False)
    assert (after.status, after.pending, after.suppressed) == ("unresolved", ["regressed"], [])


def test_a_group_flapping_within_realert_is_held_back_with_the_reason_recorded() -> None:
    flapping = ErrorGroup(
        id="k", status="resolved", resolved_at=T - timedelta(minutes=10), regressed_at=T - timedelta(minutes=20)
    )
    after = react(flapping, newest=T, total=1, now=T, policy=ON, created=False)
    assert (after.status, after.pending) == ("unresolved", ["suppressed"])
    assert after.suppressed == [
        "regressed again within errors.realert (1h) of its last regression at 2026-01-05T11:40:00+00:00"
    ]
    later = flapping.model_copy(update={"regressed_at": T - 2 * H, "resolved_at": T - H})
    assert react(later, newest=T, total=1, now=T, policy=ON, created=False).pending == ["regressed"]


@pytest.mark.parametrize(
    ("until", "count_limit", "total", "now", "expected"),
    [
        (T, None, 0, T + H, "unresolved"),
        (T + 2 * H, None, 0, T + H, "ignored"),
        (None, 10, 10, T, "unresolved"),
        (None, 10, 9, T, "ignored"),
        (None, None, 10**6, T, "ignored"),
    ],
)
def test_ignore_ends_at_its_time_or_count(
    until: datetime | None, count_limit: int | None, total: int, now: datetime, expected: str
) -> None:
    group = ErrorGroup(id="k", status="ignored", ignore_until=until, ignore_until_count=count_limit)
    assert react(group, newest=None, total=total, now=now, policy=ON, created=False).status == expected


def test_fold_counts_settled_events_and_keeps_the_newest() -> None:
    def hit(i: int, key: str, at: str, ingested: str, host: str = "web-1") -> dict[str, Any]:
        source: dict[str, Any] = {
            "@timestamp": at,
            "event": {"ingested": ingested, "dataset": "nginx.error"},
            "host": {"name": host},
        }
        source["error"] = {"grouping_key": key, "title": f"t{i}"}
        return {"_id": str(i), "_source": source}

    hits = [
        hit(1, "abc", "2026-01-05T10:00:00.000Z", "2026-01-05T12:00:00.000Z"),
        hit(2, "abc", "2026-01-05T09:00:00.000Z", "2026-01-05T12:00:01.000Z", host="web-2"),  # late
        hit(3, "abc", "2026-01-05T11:00:00.000Z", "2026-01-05T12:00:02.000Z"),
        hit(4, "xyz", "2026-01-05T11:30:00.000Z", "2026-01-05T12:00:03.000Z"),
        {"_id": "5", "_source": {"message": "no key"}},
    ]
    got = fold(hits, settled_before=datetime(2026, 1, 5, 12, 0, 2, tzinfo=UTC))
    abc = got["abc"]
    assert (abc.seen, abc.settled, abc.samples, abc.hosts, abc.datasets) == (
        3,
        2,
        ["3", "1", "2"],
        ["web-1", "web-2"],
        ["nginx.error"],
    )
    assert (abc.first_seen, abc.last_seen) == (
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        datetime(2026, 1, 5, 11, tzinfo=UTC),
    )
    assert abc.latest["error"]["title"] == "t3"
    assert (got["xyz"].seen, got["xyz"].settled) == (1, 0)
    assert set(got) == {"abc", "xyz"}
    assert ErrorGroup(id="x").settled_through == EPOCH


def test_parse_porcelain() -> None:
    text = (
        "5c1f0e0a0b0c0d0e0f101112131415161718191a 57 57 1\n"
        "author Alice\nauthor-mail <alice@example.com>\nauthor-time 1767261600\nauthor-tz +0000\n"
        "summary fix\nfilename app/Controller.php\n\t$x57 = 57;\n"
    )
    owner = parse_porcelain(text)
    assert owner is not None
    assert (owner.name, owner.email, owner.commit[:7]) == ("Alice", "alice@example.com", "5c1f0e0")
    assert owner.date == datetime.fromtimestamp(1767261600, UTC)
    assert parse_porcelain("0000000000000000000000000000000000000000 1 1 1\nauthor Not Committed Yet\n") is None
    assert parse_porcelain("") is None


def test_containers_of_a_groups_events_are_kept_for_the_console_filter() -> None:
    def hit(i: int, container: str | None) -> dict[str, object]:
        source: dict[str, object] = {"@timestamp": "2026-01-05T10:00:00.000Z", "error": {"grouping_key": "k"}}
        if container:
            source["container"] = {"name": container}
        return {"_id": str(i), "_source": source}

    folded = fold([hit(1, "web"), hit(2, None), hit(3, "api"), hit(4, "web")], settled_before=T)["k"]
    assert folded.containers == ["web", "api"]
    group = observe(ErrorGroup(id="k", containers=["worker"]), folded, added=0, settled_through=T)
    assert group.containers == ["web", "api", "worker"]  # the newest first


def _event(at: datetime, release: str | None, environment: str = "production") -> dict[str, Any]:
    source: dict[str, Any] = {"error": {"grouping_key": "k"}, "@timestamp": at.isoformat()}
    source["service"] = {"environment": environment} | ({"version": release} if release else {})
    return {"_id": at.isoformat(), "_source": source}


def test_fold_and_observe_track_releases_and_environments() -> None:
    hits = [_event(T - H, "shop@1.1"), _event(T - 2 * H, "shop@1.0", "staging"), _event(T, "shop@1.2")]
    seen = fold(hits, T + H)["k"]
    assert (seen.first_release, seen.environments) == ("shop@1.0", ["production", "staging"])
    assert seen.releases == {"shop@1.0": T - 2 * H, "shop@1.1": T - H, "shop@1.2": T}
    group = observe(None, seen, added=3, settled_through=T)
    assert (group.first_release, group.last_release) == ("shop@1.0", "shop@1.2")
    assert group.releases == ["shop@1.2", "shop@1.1", "shop@1.0"]
    later = observe(group, fold([_event(T + H, "shop@1.3"), _event(T - 3 * H, None)], T + H)["k"], 0, T)
    assert (later.first_release, later.last_release) == (None, "shop@1.3")  # its earliest event had no release
    assert later.releases[0] == "shop@1.3"


NEXT = ErrorGroup(
    id="k",
    status="resolved",
    resolved_at=T,
    resolved_in_next_release=True,
    releases=["shop@1.2", "shop@1.1"],
    resolved_releases=["shop@1.2", "shop@1.1"],
)


@pytest.mark.parametrize(
    ("releases", "expected"),
    [
        ({"shop@1.2": T + H}, "resolved"),  # the release it was resolved in, still running
        ({"shop@1.1": T + H}, "resolved"),  # an older deploy
        ({}, "resolved"),  # events without a release
        ({"shop@1.3": T - H}, "resolved"),  # a later release, but an event from before the resolution
        ({"shop@1.3": T + H}, "unresolved"),  # a later release after it: regressed
        ({"shop@1.2": T + 2 * H, "shop@1.3": T + H}, "unresolved"),
    ],
)
def test_resolved_in_the_next_release_regresses_only_on_a_later_release(
    releases: dict[str, datetime], expected: str
) -> None:
    after = react(NEXT, newest=T + 2 * H, total=0, now=T + 3 * H, policy=ON, created=False, releases=releases)
    assert after.status == expected
    if expected == "unresolved":
        assert after.regressed_at == max(at for r, at in releases.items() if r == "shop@1.3")
        assert (after.resolved_in_next_release, after.resolved_releases, after.pending) == (False, [], ["regressed"])
