"""Seeds are validated at start: an invalid one is refused with its key path, not logged and skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grokpipe.api.app import validate_seeds
from grokpipe.api.checks.service import check_seeds
from grokpipe.api.checks.settings import CheckSettings
from grokpipe.api.config import ApiSettings
from grokpipe.api.digests.schemas import DigestCreate
from grokpipe.api.errors import ApiError, Conflict, SearchFailed
from grokpipe.api.kernel.seeds import Seed, key_path, parse_seeds, plant
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.settings import ConfigError

ROOT = Path(__file__).parents[4]
RULE = {"name": "r", "index": "logs-*", "query": "*", "schedule": {"interval": "1m"}, "window": "5m",
        "condition": {"type": "any"}}  # fmt: skip
STEP = {"request": {"url": "http://127.0.0.1/x"}}
CHECK = {"name": "c", "schedule": {"interval": "5m"}, "steps": [STEP]}


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ((), "checks.seed[0]"),
        (("steps", 1, "request", "url"), "checks.seed[0].steps[1].request.url"),
        (("schedule",), "checks.seed[0].schedule"),
        (
            ("steps", 1, "function-after[_shown_are_stored(), RequestStep]", "request", "url"),
            "checks.seed[0].steps[1].request.url",
        ),
        (("steps", 0, "WaitStep", "wait"), "checks.seed[0].steps[0].wait"),
        (("steps", 0, "request", "headers", "X-Trace-Id"), "checks.seed[0].steps[0].request.headers.X-Trace-Id"),
    ],
)
def test_key_path(loc: tuple[str | int, ...], expected: str) -> None:
    assert key_path("checks.seed[0]", loc) == expected


@pytest.mark.parametrize(
    ("key", "model", "seeds", "problem"),
    [
        ("rules_seed", RuleCreate, [{"id": "a", **RULE}], None),
        ("rules_seed", RuleCreate, [{"id": 7, **RULE}], None),  # YAML ids may be numbers
        ("rules_seed", RuleCreate, [RULE], "rules_seed[0].id: a seed needs an id"),
        ("rules_seed", RuleCreate, [{"id": "", **RULE}], "rules_seed[0].id: a seed needs an id"),
        (
            "rules_seed",
            RuleCreate,
            [{"id": "a", **RULE}, {"id": "a", **RULE}],
            "rules_seed[1].id: 'a' is already the id of rules_seed[0]",
        ),
        ("rules_seed", RuleCreate, [{"id": "a", **RULE, "window": "5 minutes"}], "rules_seed[0].window: "),
        ("rules_seed", RuleCreate, [{"id": "a", **RULE, "colour": "red"}], "rules_seed[0].colour: unknown key"),
        ("digests_seed", DigestCreate, [{"id": "d", "name": "D"}], None),
        (
            "digests_seed",
            DigestCreate,
            [{"id": "d", "name": "D", "schedule": {"cron": "nope"}}],
            "digests_seed[0].schedule: ",
        ),
    ],
)
def test_parse_seeds(key: str, model: Any, seeds: list[dict[str, object]], problem: str | None) -> None:
    if problem is None:
        parsed = parse_seeds(key, seeds, model)
        assert [s.id for s in parsed] == [str(s["id"]) for s in seeds]
        assert [s.key for s in parsed] == [f"{key}[{i}]" for i in range(len(seeds))]
        return
    with pytest.raises(ConfigError) as caught:
        parse_seeds(key, seeds, model)
    assert f"\n  {problem}" in str(caught.value)


@pytest.mark.parametrize(
    ("seed", "reports", "problem"),
    [
        ({"id": "c", **CHECK}, [], None),
        ({"id": "c", **CHECK, "steps": [STEP, {"request": {"url": ""}}]}, [], "checks.seed[0].steps[1].request.url: "),
        (
            {"id": "c", **CHECK, "steps": [{**STEP, "assert": ["[STATUS] =="]}]},
            [],
            "checks.seed[0].steps[0].assert[0]: check condition syntax error",
        ),
        ({"id": "c", **CHECK, "notify": ["nowhere"]}, [], "checks.seed[0]: unknown notifiers: nowhere"),
        (
            {"id": "c", **CHECK},
            [{"id": "r", "name": "R", "checks": ["c"], "notify": ["nowhere"]}],
            "checks.reports_seed[0]: unknown notifiers: nowhere",
        ),
    ],
)
def test_check_and_report_seeds_are_vetted_like_a_create(
    seed: dict[str, object], reports: list[dict[str, object]], problem: str | None
) -> None:
    settings = CheckSettings.model_validate({"seed": [seed], "reports_seed": reports})
    if problem is None:
        checks, _ = check_seeds(settings, ["local-sink"])
        assert [c.id for c in checks] == ["c"]
        return
    with pytest.raises(ConfigError) as caught:
        check_seeds(settings, ["local-sink"])
    assert f"\n  {problem}" in str(caught.value)


def test_the_example_configs_seeds_are_valid() -> None:
    validate_seeds(ApiSettings.load(ROOT / "examples" / "api.yml"))


@pytest.mark.parametrize(
    ("failure", "created", "logged"),
    [
        (None, 1, ("INFO", "seeded rule")),
        (Conflict("exists"), 0, None),  # created before, by a restart or another replica: nothing to say
        (SearchFailed("Elasticsearch away"), 0, ("ERROR", "seed rule not created")),
    ],
)
def test_plant_creates_a_seed_once_and_logs_a_store_failure(
    failure: ApiError | None, created: int, logged: tuple[str, str] | None, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[object, str]] = []

    def create(body: object, seed_id: str) -> None:
        calls.append((body, seed_id))
        if failure is not None:
            raise failure

    seed = Seed("rules_seed[0]", "r1", RuleCreate.model_validate(RULE))
    with caplog.at_level("INFO", logger="grokpipe.api.kernel.seeds"):
        assert plant([seed], create, "rule") == created
    assert calls == [(seed.body, "r1")]
    records = [(r.levelname, r.getMessage(), getattr(r, "rule.id", None)) for r in caplog.records]
    assert records == ([] if logged is None else [(*logged, "r1")])
