"""The message every notifier renders from: typed, built by the feature that sends it.

A message is about a :class:`Subject` (a rule, a check, a digest or report, the error groups), has a
``kind`` and a ``layout`` (which default templates render it), the counts and window, the group it is about,
sample events, the layout's own :attr:`Message.facts` (a model the sending feature defines) and the people it
@-mentions. Templates read its JSON (:meth:`Message.context`); no channel sees a field the others do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, JsonValue

from grokpipe.api import templates
from grokpipe.api.notifiers.people import Person
from grokpipe.api.notifiers.render import DEFAULT, OwnerFormat, Presentation, labels, plain_owner

#: what happened (``suppressed``: a rule alert recorded, not sent)
Kind = Literal[
    "fired", "recovered", "suppressed", "new", "regressed", "digest", "down", "report", "missed", "timeout", "error"
]  # missed, timeout, error: a cron monitor's incident
#: one group-by value of a rule's group (a term, a number, a missing value)
Scalar = str | int | float | bool | None
#: a log event as Elasticsearch returns it (its ``_source``): schemaless by nature
Event = Mapping[str, JsonValue]


@dataclass(frozen=True, kw_only=True)
class Subject:
    """What sends the message: a rule, a check, a digest, a report, or the error groups."""

    id: str | None = None
    name: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Message:
    """Everything a template may use.

    ``layout`` picks the default templates (``alert`` for rules, ``error`` for new/regressed error groups,
    ``digest`` for error digests, ``check`` for checks down/recovered, ``report`` for check reports).
    ``group`` is a rule's group-by values, or the error group (a model) of the ``error`` layout; ``facts``
    is the layout's own context (a check's run and rows, a digest's rows...), a model of the sending feature.
    ``mentions`` are the people to @-mention: each channel resolves its own handle for them.
    """

    kind: Kind
    rule: Subject
    count: int
    start: datetime
    end: datetime
    group: Mapping[str, Scalar] | BaseModel = field(default_factory=dict)
    value: float | None = None
    previous: int | None = None
    samples: Sequence[Event] = ()
    layout: templates.Layout = "alert"
    facts: BaseModel | None = None
    mentions: tuple[Person, ...] = ()

    def context(self, presentation: Presentation = DEFAULT, owner: OwnerFormat = plain_owner) -> dict[str, Any]:
        """The template context (the message as JSON); ``presentation`` and ``owner`` are the channel's."""
        rule = {"id": self.rule.id, "name": self.rule.name, "description": self.rule.description}
        group = self.group.model_dump(mode="json") if isinstance(self.group, BaseModel) else dict(self.group)
        samples = [dict(doc) for doc in self.samples]
        facts = self.facts.model_dump(mode="json") if self.facts is not None else {}
        layout = templates.LAYOUTS[self.layout]
        path = layout.page(rule, group, facts)
        ctx = (
            presentation.helpers(owner)
            | facts
            | {
                "kind": self.kind,
                "rule": rule,
                "group": group,
                "count": self.count,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "value": self.value,
                "previous": self.previous,
                "samples": samples,
                "labels": labels(group, samples),
                "url": presentation.link(path) if path else None,
            }
        )
        ctx["title"] = templates.render(layout.title, ctx)
        return ctx

    def template(self, kind: templates.Part, override: str | None) -> str:
        """The notifier's own ``template:`` replaces the body of rule alerts only: other layouts have other context."""
        if override is not None and self.layout == "alert":
            return override
        chosen = templates.LAYOUTS[self.layout]
        return chosen.markdown if kind == "markdown" else chosen.html
