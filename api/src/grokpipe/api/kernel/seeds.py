"""Seeds: the definitions api.yml creates at start when they do not exist yet (rules, digests, checks, reports).

Every seed is validated when the api starts, before any is written: an invalid one stops the start with a
:class:`grokpipe.settings.ConfigError` that names its key (``checks.seed[0].steps[1].request.url: ...``), where a
logged error would have left the definition silently missing. Each seed needs an ``id`` (the document's id, so a
restart or another replica finds it and does not create it twice), unique within its list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from grokpipe.api.errors import ApiError, Conflict
from grokpipe.settings import ConfigError

log = logging.getLogger(__name__)

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Seed(Generic[B]):
    key: str  # where it is in api.yml: ``checks.seed[0]``
    id: str
    body: B


#: pydantic's name of a union member in an error's location (``RequestStep``, ``function-after[_check(), Step]``)
_UNION_TAG = re.compile(r"^(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[\w-]+\[.*\])$")


def key_path(key: str, loc: Sequence[str | int]) -> str:
    """``checks.seed[0]`` + ``("steps", 1, "request", "url")`` -> ``checks.seed[0].steps[1].request.url``; the names
    pydantic gives the members of a union are not keys of api.yml and are left out."""
    parts = (part for part in loc if isinstance(part, int) or not _UNION_TAG.match(part))
    return key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _accept(body: Any) -> None:
    return None


def parse_seeds(
    key: str, raw: Sequence[Mapping[str, object]], model: type[B], vet: Callable[[B], None] = _accept
) -> list[Seed[B]]:
    """The seeds listed under ``key`` as ``model``s (``vet`` adds the checks a create through the api makes);
    :class:`ConfigError` naming every invalid seed's key path and reason."""
    seeds: list[Seed[B]] = []
    problems: list[str] = []
    first: dict[str, str] = {}
    for i, item in enumerate(raw):
        here = f"{key}[{i}]"
        data = dict(item)
        seed_id = data.pop("id", None)
        if not isinstance(seed_id, str | int) or isinstance(seed_id, bool) or str(seed_id) == "":
            problems.append(f"{here}.id: a seed needs an id (a non-empty string)")
            continue
        seed_id = str(seed_id)
        if seed_id in first:
            problems.append(f"{here}.id: {seed_id!r} is already the id of {first[seed_id]}")
            continue
        first[seed_id] = here
        try:
            body = model.model_validate(data)
            vet(body)
        except ValidationError as exc:
            problems.extend(f"{key_path(here, err['loc'])}: {_reason(err)}" for err in exc.errors())
            continue
        except ApiError as exc:
            field = exc.details.get("field")
            reason = exc.details.get("reason")
            where = f"{here}.{field}" if isinstance(field, str) else here
            problems.append(f"{where}: {exc.message}" + (f": {reason}" if reason else ""))
            continue
        seeds.append(Seed(here, seed_id, body))
    if problems:
        raise ConfigError("invalid seeds in the api config:\n" + "\n".join(f"  {p}" for p in problems))
    return seeds


def _reason(err: Mapping[str, Any]) -> str:
    return "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])


def plant(seeds: Iterable[Seed[B]], create: Callable[[B, str], object], noun: str) -> int:
    """Create each seed that does not exist yet (``create(body, id)``; a :class:`Conflict` means it does);
    the number created. Seeds were validated at start: what fails here is the store (Elasticsearch away),
    logged per seed, and the next start plants it."""
    created = 0
    for seed in seeds:
        try:
            create(seed.body, seed.id)
        except Conflict:
            continue
        except ApiError as exc:
            log.error(f"seed {noun} not created", extra={f"{noun}.id": seed.id, "error.message": str(exc)})
            continue
        created += 1
        log.info(f"seeded {noun}", extra={f"{noun}.id": seed.id})
    return created
