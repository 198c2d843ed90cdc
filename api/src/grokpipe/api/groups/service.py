"""What ``/errors`` does: list, inspect and change error groups (the routes only translate HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from grokpipe.api.errors import Conflict, NotFound
from grokpipe.api.groups.counts import Counter
from grokpipe.api.groups.schemas import Bucket, ErrorGroup, GroupDetail, GroupPublic, IgnoreRequest
from grokpipe.api.groups.stats import Interval, events_search, histogram_search, iso, parse_histogram
from grokpipe.api.groups.store import GroupStore
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.schemas import Page

Sort = Literal["count", "last_seen", "first_seen"]
_NO_IGNORE: dict[str, Any] = {"ignore_until": None, "ignore_until_count": None}


class ErrorGroups:
    def __init__(self, store: GroupStore, counter: Counter, clock: Clock) -> None:
        self.store = store
        self.counter = counter
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------

    def _filters(
        self,
        *,
        status: str | None,
        level: str | None,
        dataset: str | None,
        since: datetime | None,
        until: datetime | None,
        q: str | None,
        host: str | None = None,
        container: str | None = None,
        environment: str | None = None,
        release: str | None = None,
    ) -> dict[str, Any]:
        filters: list[dict[str, Any]] = []
        for name, value in (
            ("status", status),
            ("level", level),
            ("datasets", dataset),
            ("hosts", host),
            ("containers", container),
            ("environments", environment),
            ("releases", release),
        ):
            if value:
                filters.append({"term": {name: value}})
        if since:
            filters.append({"range": {"last_seen": {"gte": iso(since)}}})
        if until:
            filters.append({"range": {"first_seen": {"lt": iso(until)}}})
        must = [{"match": {"title": {"query": q, "operator": "and"}}}] if q else []
        return {"bool": {"filter": filters, "must": must, "must_not": [{"exists": {"field": "merged_into"}}]}}

    def search(
        self,
        *,
        status: str | None = None,
        level: str | None = None,
        dataset: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        q: str | None = None,
        sort: Sort = "count",
        offset: int = 0,
        limit: int = 50,
        host: str | None = None,
        container: str | None = None,
        environment: str | None = None,
        release: str | None = None,
    ) -> Page[GroupPublic]:
        query = self._filters(
            status=status, level=level, dataset=dataset, since=since, until=until, q=q, host=host,
            container=container, environment=environment, release=release,
        )  # fmt: skip
        if sort == "count":
            groups, total = self._by_count(query, since, until, offset, limit)
        else:
            body = {"query": query, "sort": [{sort: {"order": "desc"}}], "from_": offset, "size": limit}
            found, total = self.store.search(body)
            window = self.counter.window([k for g in found for k in (g.id, *g.aliases)], since, until)
            per_group = self.counter.per_group(found, window)
            groups = [(g, per_group[g.id]) for g in found]
        totals = self.counter.totals([g for g, _ in groups])
        items = [GroupPublic.of(g, count=n, total=totals.get(g.id, 0)) for g, n in groups]
        return Page[GroupPublic](items=items, total=total, offset=offset, limit=limit)

    def _by_count(
        self, query: dict[str, Any], since: datetime | None, until: datetime | None, offset: int, limit: int
    ) -> tuple[list[tuple[ErrorGroup, int]], int]:
        """Counts in the window decide the order: every fingerprint with events there, folded into its group."""
        window = self.counter.window(None, since, until)
        docs = self.store.many(list(window))
        counts: dict[str, int] = {}
        for key, n in window.items():
            doc = docs.get(key)
            target = doc.group.merged_into if doc and doc.group.merged_into else key
            counts[target] = counts.get(target, 0) + n
        if not counts:
            return [], 0
        query["bool"]["filter"].append({"ids": {"values": list(counts)}})
        candidates, _ = self.store.search({"query": query, "size": len(counts)})
        ranked = sorted(candidates, key=lambda g: (-counts.get(g.id, 0), g.id))
        return [(g, counts.get(g.id, 0)) for g in ranked[offset : offset + limit]], len(ranked)

    def get(self, group_id: str) -> ErrorGroup:
        group = self.store.get(group_id).group
        if group.merged_into:  # an alias answers as the group it was merged into
            return self.store.get(group.merged_into).group
        return group

    def detail(self, group_id: str, *, interval: Interval = "hour", window: timedelta | None = None) -> GroupDetail:
        group = self.get(group_id)
        keys = [group.id, *group.aliases]
        now = self.clock()
        span = window or (timedelta(hours=24) if interval == "hour" else timedelta(days=14))
        step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
        start = datetime.fromtimestamp(
            (now - span).timestamp() // step.total_seconds() * step.total_seconds() + step.total_seconds(), now.tzinfo
        )
        resp = self.counter.search(histogram_search(keys, start, now, interval))
        seen = {moment.timestamp(): n for moment, n in parse_histogram(resp)}
        buckets: list[Bucket] = []
        moment = start
        while moment < now:
            buckets.append(Bucket(start=moment, count=seen.get(moment.timestamp(), 0)))
            moment += step
        samples = [h["_source"] | {"_id": h["_id"]} for h in resp.get("hits", {}).get("hits", [])]
        total = self.counter.totals([group]).get(group.id, 0)
        public = GroupPublic.of(group, count=sum(b.count for b in buckets), total=total)
        return GroupDetail.model_validate(public.model_dump() | {"histogram": buckets, "samples": samples})

    def events(self, group_id: str, offset: int, limit: int) -> Page[dict[str, Any]]:
        group = self.get(group_id)
        resp = self.counter.search(events_search([group.id, *group.aliases], offset, limit))
        items = [h["_source"] | {"_id": h["_id"]} for h in resp["hits"]["hits"]]
        return Page[dict[str, Any]](items=items, total=resp["hits"]["total"]["value"], offset=offset, limit=limit)

    # -- changing ---------------------------------------------------------------------------------

    def _public(self, group: ErrorGroup) -> GroupPublic:
        total = self.counter.totals([group]).get(group.id, 0)
        return GroupPublic.of(group, count=total, total=total)

    def resolve(self, group_id: str, *, in_next_release: bool = False) -> GroupPublic:
        """Resolved; ``in_next_release``: only an event of a release it has not been seen in regresses it."""
        now = self.clock()
        target = self.get(group_id).id

        def resolved(g: ErrorGroup) -> ErrorGroup:
            update = {"status": "resolved", "resolved_at": now, "resolved_in_next_release": in_next_release}
            return g.model_copy(
                update=update | {"resolved_releases": g.releases if in_next_release else []} | _NO_IGNORE
            )

        return self._public(self.store.update(target, resolved))

    def unresolve(self, group_id: str) -> GroupPublic:
        target = self.get(group_id).id
        return self._public(
            self.store.update(
                target,
                lambda g: g.model_copy(
                    update={
                        "status": "unresolved",
                        "resolved_at": None,
                        "resolved_in_next_release": False,
                        "resolved_releases": [],
                        "ignore_until": None,
                        "ignore_until_count": None,
                    }
                ),
            )
        )

    def ignore(self, group_id: str, request: IgnoreRequest) -> GroupPublic:
        group = self.get(group_id)
        until_count = None
        if request.count is not None:
            until_count = self.counter.totals([group]).get(group.id, 0) + request.count
        return self._public(
            self.store.update(
                group.id,
                lambda g: g.model_copy(
                    update={
                        "status": "ignored",
                        "resolved_at": None,
                        "ignore_until": request.until,
                        "ignore_until_count": until_count,
                    }
                ),
            )
        )

    def merge(self, group_id: str, into: str) -> GroupPublic:
        """``group_id`` (and what was merged into it) becomes an alias of ``into``; it persists for new events."""
        source = self.store.get(group_id).group
        target = self.get(into)
        if source.merged_into:
            raise Conflict(f"error group {group_id} is already merged into {source.merged_into}")
        if target.id == source.id:
            raise Conflict("a group cannot be merged into itself")
        moved = [source.id, *source.aliases]
        # The target first: a crash before the alias documents are marked leaves them listed twice for
        # a moment (the next merge call repairs it), never an alias nobody counts.
        merged = self.store.update(
            target.id, lambda g: g.model_copy(update={"aliases": list(dict.fromkeys([*g.aliases, *moved]))})
        )
        for key in moved:
            try:
                self.store.update(key, lambda g: g.model_copy(update={"merged_into": target.id, "aliases": []}))
            except NotFound:
                continue
        return self._public(merged)
