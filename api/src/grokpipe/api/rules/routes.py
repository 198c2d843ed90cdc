"""``/rules``: CRUD with optimistic concurrency, enable/disable, preview, run now, acknowledge."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status

from grokpipe.api.errors import Conflict
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.crud import Crud, require_notifiers
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.params import Paging
from grokpipe.api.rules import throttle
from grokpipe.api.rules.conditions import window_for
from grokpipe.api.rules.runner import RuleRunner
from grokpipe.api.rules.schemas import (
    Acknowledged,
    FindingPreview,
    GroupMessages,
    PreviewRequest,
    Rule,
    RuleBody,
    RuleCreate,
    RuleMessagesPreview,
    RulePreview,
    RulePublic,
    RuleRunResult,
    RuleUpdate,
    RunAlert,
    RunWindow,
)
from grokpipe.api.rules.state import RuleState
from grokpipe.api.rules.store import RuleStore

router = APIRouter(prefix="/rules", tags=["rules"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the rule's version; a stale one gets 409")]


@dataclass(frozen=True)
class RulesFeature:
    """What the rules' routes work with (provided at startup by the wiring, ``services.py``)."""

    store: RuleStore
    runner: RuleRunner
    leases: Leases[RuleState]
    dispatcher: Dispatcher
    clock: Clock

    def validate(self, body: RuleBody) -> None:
        self.runner.compile(body)
        require_notifiers(body.notify, self.dispatcher.notifiers)

    @cached_property
    def crud(self) -> Crud[RuleBody, Rule]:
        return Crud(self.store, RuleBody, "rule", self.validate)


RulesDep = Annotated[RulesFeature, Depends(Provider(RulesFeature))]


def _public(rule: Any) -> RulePublic:
    return RulePublic.model_validate(rule.model_dump())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleCreate, rules: RulesDep, _: AdminAccess, response: Response) -> RulePublic:
    return _public(rules.crud.create(body, response))


@router.get("")
def list_rules(
    *,
    rules: RulesDep,
    _: ReadAccess,
    enabled: bool | None = None,
    tag: str | None = None,
    window: Paging,
) -> Page[RulePublic]:
    offset, limit = window
    page = rules.store.search(offset=offset, limit=limit, enabled=enabled, tag=tag)
    return Page[RulePublic](items=[_public(r) for r in page.items], total=page.total, offset=offset, limit=limit)


@router.post("/preview")
def preview_rule(body: PreviewRequest, rules: RulesDep, _: ReadAccess) -> RulePreview:
    """What the rule would have fired for ``[start, end)``, without notifying or changing state."""
    rules.validate(body.rule)
    evaluation = rules.runner.search(body.rule, body.start, body.end)
    findings = [
        FindingPreview(
            group=f.group,
            key=f.key,
            count=f.count,
            value=f.value,
            previous=f.previous,
            sample_ids=[s.get("_id") for s in f.samples],
        )
        for f in evaluation.findings
    ]
    return RulePreview(total=evaluation.total, groups=evaluation.groups_seen, findings=findings)


@router.post("/{rule_id}/preview")
def preview_rule_messages(
    rule_id: str, rules: RulesDep, _: ReadAccess, limit: Annotated[int, Query(ge=1, le=50)] = 5
) -> RuleMessagesPreview:
    """The stored rule over its window ending now, and what each of its notifiers would receive for each
    group it finds: the rendered message per channel (the e-mail's HTML too). Nothing is sent or changed."""
    rule = rules.store.get(rule_id)
    start, end = window_for(rule, rules.clock())
    evaluation = rules.runner.search(rule, start, end)
    groups = [
        GroupMessages(
            group=f.group,
            key=f.key,
            messages=rules.dispatcher.preview(
                rule.notify,
                rules.runner.message(rule, "fired", f.group, f, start=start, end=end),
            ),
        )
        for f in evaluation.findings[:limit]
    ]
    return RuleMessagesPreview(
        start=start.isoformat(),
        end=end.isoformat(),
        total=evaluation.total,
        findings=len(evaluation.findings),
        groups=groups,
    )


@router.get("/{rule_id}")
def get_rule(rule_id: str, rules: RulesDep, _: ReadAccess, response: Response) -> RulePublic:
    return _public(rules.crud.get(rule_id, response))


@router.put("/{rule_id}")
def replace_rule(
    rule_id: str, body: RuleCreate, rules: RulesDep, _: AdminAccess, if_match: IfMatch = None
) -> RulePublic:
    return _public(rules.crud.replace(rule_id, body, if_match))


@router.patch("/{rule_id}")
def update_rule(
    rule_id: str, body: RuleUpdate, rules: RulesDep, _: AdminAccess, if_match: IfMatch = None
) -> RulePublic:
    return _public(rules.crud.update(rule_id, body, if_match))


@router.post("/{rule_id}/enable")
def enable_rule(rule_id: str, rules: RulesDep, _: AdminAccess) -> RulePublic:
    return _set_enabled(rules, rule_id, enabled=True)


@router.post("/{rule_id}/disable")
def disable_rule(rule_id: str, rules: RulesDep, _: AdminAccess) -> RulePublic:
    return _set_enabled(rules, rule_id, enabled=False)


def _set_enabled(rules: RulesFeature, rule_id: str, *, enabled: bool) -> RulePublic:
    current = rules.store.get(rule_id)
    body = RuleBody.model_validate(current.model_dump(exclude={"id", "version", "created", "updated"}))
    return _public(rules.store.replace(current, body.model_copy(update={"enabled": enabled})))


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: str, rules: RulesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    rules.crud.delete(rule_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{rule_id}/run")
def run_rule(rule_id: str, rules: RulesDep, _: AdminAccess) -> RuleRunResult:
    """Evaluate now (as a tick at the current time), notifying like a scheduled run would."""
    rule = rules.store.get(rule_id)
    result = rules.runner.run(rule, rules.clock())
    if result is None:
        raise Conflict("the rule is being evaluated right now; retry shortly")
    if result.actions:
        rules.runner.history.refresh()  # scheduled runs leave it to the periodic refresh; a caller reads next
    return RuleRunResult(
        tick=result.tick,
        window=RunWindow(start=result.start, end=result.end),
        total=result.evaluation.total,
        findings=len(result.evaluation.findings),
        alerts=[
            RunAlert(kind=a["kind"], group_key=a["group_key"], notified=a["notified"], notifications=a["notifications"])
            for a in result.actions
        ],
    )


@router.get("/{rule_id}/state")
def rule_state(rule_id: str, rules: RulesDep, _: ReadAccess) -> RuleState:
    rules.store.get(rule_id)
    return rules.leases.state(rule_id)


@router.post("/{rule_id}/groups/{group_key:path}/ack")
def acknowledge(rule_id: str, group_key: str, rules: RulesDep, _: AdminAccess) -> Acknowledged:
    """Stop realerts for a firing group until it recovers."""
    rules.store.get(rule_id)
    if not rules.leases.update(rule_id, lambda state: throttle.acknowledged(state, group_key)):
        raise Conflict(f"group {group_key!r} is not firing")
    return Acknowledged(rule_id=rule_id, group_key=group_key, acknowledged=True)
