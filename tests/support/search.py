"""A logs index with known access-log events for the search tests (and the Logs page's): request times
with a long tail, a 500 every tenth event, three URL paths, two hosts; event i is 5 i + 1 s before T0."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

from elasticsearch import Elasticsearch, helpers

from support.api import LOGS_MAPPING, T0, doc

PATHS = ("/", "/cart.php", "/api/items")
N = 120


def duration(i: int) -> float:
    """Skewed like request times: most fast, a long tail."""
    return round(0.005 * (i % 40) + (2.5 if i % 17 == 0 else 0.0), 3)


def status(i: int) -> int:
    return 500 if i % 10 == 0 else 200


def message(i: int) -> str:
    return "PHP Fatal error: Function name must be a string" if i == 7 else f"GET request {i}"


def access_index(es: Elasticsearch) -> str:
    mapping = copy.deepcopy(LOGS_MAPPING)
    mapping["properties"]["url"]["properties"]["path"] = {"type": "keyword"}
    mapping["properties"]["http"]["properties"]["request"] = {"properties": {"duration": {"type": "float"}}}
    name = f"logs-searchtest-{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=mapping)
    docs = []
    for i in range(N):
        body = doc(
            T0 - timedelta(seconds=5 * i + 1),
            message=message(i),
            event__dataset="nginx.access",
            event__id=f"e{i:04d}",
            http__response__status_code=status(i),
            http__request__duration=duration(i),
            url__path=PATHS[i % 3],
            host__name=f"web-{i % 2}",
        )
        if i == 7:  # an error event: its group and its pattern
            body |= {"error": {"grouping_key": "k-php-7", "title": "Fatal error: Function name must be a string"}}
            body["log"] = {"level": "critical", "pattern": {"template": "PHP Fatal error: <*>"}}
        docs.append({"_index": name, "_id": f"e{i:04d}", "_source": body})
    helpers.bulk(es, docs, refresh=True)
    return name
