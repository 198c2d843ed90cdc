"""What a check must satisfy beyond its schema: conditions and store expressions parse, templates
parse, notifiers exist. Refusals are :class:`InvalidRule` (422) naming the field, reason and position."""

from __future__ import annotations

from collections.abc import Callable, Collection

from grokpipe.api.checks import conditions, templating
from grokpipe.api.checks.schemas import CheckBody, ReportBody, RequestStep
from grokpipe.api.errors import InvalidRule
from grokpipe.api.kernel.crud import require_notifiers


def check_body(body: CheckBody, notifiers: Collection[str]) -> None:
    for i, step in enumerate(body.steps):
        if not isinstance(step, RequestStep):
            continue
        for j, text in enumerate(step.assertions):
            _parse(text, f"steps[{i}].assert[{j}]", conditions.parse)
        for name, text in step.store.items():
            _parse(text, f"steps[{i}].store.{name}", conditions.parse_value)
        try:
            templating.validate(step.request)
        except templating.TemplateFailed as exc:
            raise InvalidRule(
                "invalid check template", reason=exc.reason, line=exc.line, field=f"steps[{i}].request"
            ) from None
    require_notifiers(body.notify, notifiers)


def report_body(body: ReportBody, notifiers: Collection[str]) -> None:
    require_notifiers(body.notify, notifiers)


def _parse(text: str, field: str, parse: Callable[[str], conditions.Condition]) -> None:
    try:
        parse(text)
    except conditions.ConditionError as exc:
        raise InvalidRule(
            "check condition syntax error", reason=exc.reason, position=exc.position, condition=text, field=field
        ) from None
