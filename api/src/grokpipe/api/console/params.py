"""The query string of a console list page, read the same way on every page.

A page declares its filters as one :class:`Filters` model (a field per input of its form, each default what
the form starts with) and takes it as ``Annotated[Model, Query()]``: FastAPI validates every field, and a bad
value is the console's 400 page naming the field, as a lone query parameter's would be; unknown parameters
are ignored. ``echo()`` hands the choices back to the template, for the form and the pager's links. A
``window`` field names a span back from now (:data:`SPANS`, its start from :func:`window_start`); ``offset``
(:data:`Offset`) pages by :data:`PAGE` within Elasticsearch's result window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from grokpipe.api.params import MAX_WINDOW

#: rows of a list page
PAGE = 50
#: the windows a page may offer, as spans back from now; ``all`` has no start
SPANS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
    "30d": timedelta(days=30),
    "all": None,
}
#: items to skip, so that the last page still ends within Elasticsearch's result window
Offset = Annotated[int, Field(ge=0, le=MAX_WINDOW - PAGE)]


def window_start(now: datetime, window: str) -> datetime | None:
    """Where ``window`` (a key of :data:`SPANS`) back from ``now`` starts; ``None`` for all time."""
    delta = SPANS[window]
    return now - delta if delta else None


class Filters(BaseModel):
    """A page's query parameters: a page subclasses it with its own fields."""

    model_config = ConfigDict(frozen=True)

    def echo(self, include: set[str] | None = None) -> dict[str, Any]:
        """The choices (those in ``include``, else all) in field order, for the page's form and links; ``offset``
        is the pager's own."""
        return self.model_dump(include=include, exclude={"offset"})
