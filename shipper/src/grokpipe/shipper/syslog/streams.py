"""What a stream's app-name says: its dataset (``routes``) and, for a container, ``container.name``.

Docker's syslog driver writes the container's tag as the app-name (``{{.ID}}`` by default, often
``{{.Name}}/{{.ID}}`` or a name of the user's own, ``tag: whatweb-server-staging``). The parser reads
``container.id`` (and a name beside it) from a tag that holds an id; here every Docker tag form
gets ``container.name``:

* a tag with a name and an id: the name (``web/3f4e5d6c7b8a``, ``docker/web/3f4e...``);
* a tag that is only an id: the id (the frame says nothing more; ``tag: "{{.Name}}/{{.ID}}"`` names it);
* a tag without an id: the tag itself (``whatweb-server-staging``), when the frame is Docker's
  (RFC 5424 with the tag also as MSGID, which Docker writes and other senders do not) or when the
  route that matched the app-name says ``container: true`` (RFC 3164 and unix formats carry no sign).

Decisions are cached per app-name: a host has a handful.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from grokpipe.shipper.syslog.config import Route

_CACHE_LIMIT = 4096


class StreamRouter:
    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)
        self._decisions: dict[tuple[str, bool], tuple[str | None, dict[str, Any] | None]] = {}

    def apply(self, event: dict[str, Any]) -> None:
        """Set ``event.dataset`` and ``container`` of a wrapped event in place."""
        syslog = event.get("log", {}).get("syslog")
        if not syslog:
            return
        app = syslog.get("appname")
        if app is None:
            return
        key = (app, syslog.get("msgid") == app)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decide(app, key[1], event.get("container"))
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        dataset, container = decision
        if dataset is not None:
            event["event"]["dataset"] = dataset
        if container is not None:
            event["container"] = dict(container)

    def _decide(self, app: str, docker_5424: bool, parsed: Any) -> tuple[str | None, dict[str, Any] | None]:
        route = next((r for r in self._routes if fnmatchcase(app, r.appname)), None)
        dataset = route.dataset if route is not None else None
        if isinstance(parsed, dict) and parsed.get("id"):
            return dataset, None if parsed.get("name") else {**parsed, "name": parsed["id"]}
        if docker_5424 or (route is not None and route.container):
            return dataset, {"name": container_name(app)}
        return dataset, None


def container_name(tag: str) -> str:
    """``docker/web`` -> ``web``; a tag without slashes is the name."""
    parts = [part for part in tag.split("/") if part and part != "docker"]
    return parts[-1] if parts else tag
