"""Owners kept right: a group's owner is looked up again when what it was computed from changed.

A group stores ``owner_for`` = ``file:line@stamp`` (:meth:`Blame.stamp`: the ``blame`` config and the
repository revision). The sync looks up groups it sees events of; :class:`OwnerRefresh` looks up the
others once the config or a revision changed (checked on each sync pass), or on demand
(``POST /errors/owners/refresh``, which asks again even where the stamp is unchanged). One pass asks
blame for at most ``blame.refresh_limit`` groups, newest first; the next pass goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from grokpipe.api.groups.blame import Blame
from grokpipe.api.groups.schemas import ErrorGroup
from grokpipe.api.groups.store import GroupStore, Versioned

log = logging.getLogger(__name__)
PAGE = 500
#: how far back (groups, by last seen) a refresh looks; Elasticsearch's default result window
HORIZON = 10_000


def origin(group: ErrorGroup) -> str | None:
    return f"{group.origin_file}:{group.origin_line}" if group.origin_file and group.origin_line else None


def with_owner(group: ErrorGroup, blame: Blame, *, force: bool = False) -> ErrorGroup:
    """``group`` with its owner looked up, unless it was looked up from the same stamp already."""
    where = origin(group)
    if where is None:
        return group
    wanted = f"{where}@{blame.stamp(group.origin_file)}"
    if group.owner_for == wanted and not force:
        return group
    owner = blame.owner(group.origin_file, group.origin_line)
    # a line that is now uncommitted or unknown keeps the owner it had
    return group.model_copy(update={"owner": owner or group.owner, "owner_for": wanted})


@dataclass
class RefreshResult:
    checked: int = 0
    updated: int = 0
    complete: bool = True


class OwnerRefresh:
    def __init__(self, store: GroupStore, blame: Blame, limit: int) -> None:
        self.store = store
        self.blame = blame
        self.limit = limit
        self._done_for: str | None = None  # the blame generation every stored owner was computed from

    def due(self) -> bool:
        return self._done_for != self.blame.generation()

    def run(self, *, force: bool = False) -> RefreshResult:
        """Look owners up again where stale (``force``: everywhere), at most ``limit`` of them."""
        generation = self.blame.generation()
        result = RefreshResult()
        looked_up = 0
        for offset in range(0, HORIZON, PAGE):
            body = {
                "from": offset,
                "size": PAGE,
                "sort": [{"last_seen": {"order": "desc", "unmapped_type": "date"}}],
                "query": {"bool": {"must_not": [{"exists": {"field": "merged_into"}}]}},
            }
            groups, _ = self.store.search(body)
            stale = []
            for group in groups:
                if origin(group) is None:
                    continue
                result.checked += 1
                if force or group.owner_for != f"{origin(group)}@{self.blame.stamp(group.origin_file)}":
                    stale.append(group.id)
            current = self.store.many(stale[: self.limit - looked_up])
            changes: list[tuple[Versioned | None, ErrorGroup]] = []
            for versioned in current.values():
                changed = with_owner(versioned.group, self.blame, force=True)
                looked_up += 1
                if changed != versioned.group:
                    changes.append((versioned, changed))
            written = self.store.write_many(changes) if changes else []
            result.updated += sum(w is not None for w in written)
            if len(groups) < PAGE:
                result.complete = len(stale) <= len(current)
                break
            if looked_up >= self.limit:
                result.complete = False
                break
        if result.updated:
            self.store.refresh()
        if result.complete:
            self._done_for = generation
        log.info(
            "error group owners refreshed",
            extra={"checked": result.checked, "updated": result.updated, "complete": result.complete},
        )
        return result
