"""Help for people who write rules the way ElastAlert taught them: each ElastAlert key named with its
grokpipe equivalent. "Did you mean" for fields and the real syntax error of a query belong to the query
language (:mod:`grokpipe.api.search.hints`).

Pure functions over data, so the table-driven tests show every case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: ElastAlert rule keys -> what grokpipe calls them (POST /rules; ``grokpipe rules import`` converts files)
ELASTALERT_KEYS: dict[str, str] = {
    "type": "condition: {type: any|threshold|flatline|spike|new_term|metric} (frequency is threshold)",
    "num_events": "condition: {type: threshold, count: N}",
    "timeframe": "window: 5m (a duration, not {minutes: 5})",
    "filter": "query: a Lucene query as typed in Kibana, or dsl: an Elasticsearch query",
    "query_key": "group_by: [field] (up to 3 fields)",
    "alert": "notify: [notifier names from api.yml's notifiers]",
    "es_host": "elasticsearch.hosts in api.yml (not per rule)",
    "es_port": "elasticsearch.hosts in api.yml (not per rule)",
    "run_every": "schedule: {interval: 1m} or schedule: {cron: '0 9 * * *'}",
    "buffer_time": "window: the period each evaluation searches",
    "timestamp_field": "time_field",
    "alert_text": "a notifier's template in api.yml",
    "alert_subject": "a notifier's template in api.yml (the title is the rule's name and group)",
    "email": "notifiers: {NAME: {type: email, to: [...]}} in api.yml, then notify: [NAME]",
    "slack_webhook_url": "notifiers: {NAME: {type: slack, url: ...}} in api.yml, then notify: [NAME]",
    "dingtalk_access_token": "notifiers: {NAME: {type: dingtalk, url: ...}} in api.yml, then notify: [NAME]",
    "http_post_url": "notifiers: {NAME: {type: webhook, url: ...}} in api.yml, then notify: [NAME]",
    "aggregation": "a digest (POST /digests) sends many errors in one message",
    "spike_height": "condition: {type: spike, ratio: N}",
    "spike_type": "condition: {type: spike, direction: up|down|both}",
    "threshold": "condition: {type: flatline, count: N} (or threshold's count)",
    "threshold_cur": "condition: {type: spike, min_count: N}",
    "metric_agg_key": "condition: {type: metric, field: ...}",
    "metric_agg_type": "condition: {type: metric, agg: avg|min|max|sum|cardinality}",
    "max_threshold": "condition: {type: metric, op: above, value: N}",
    "min_threshold": "condition: {type: metric, op: below, value: N}",
    "cardinality_field": "condition: {type: metric, agg: cardinality, field: ...}",
    "max_cardinality": "condition: {type: metric, agg: cardinality, op: above, value: N}",
    "fields": "condition: {type: new_term, field: ...}",
    "terms_window_size": "condition: {type: new_term, history: 7d}",
    "include": "sample_size: how many matching events a message shows",
    "doc_type": "not needed",
    "use_count_query": "not needed: counts come from aggregations",
    "use_terms_query": "not needed: group_by uses aggregations",
}


def elastalert_hint(loc: Iterable[Any], error_type: str) -> str | None:
    """The grokpipe equivalent of a key refused as an extra input (``loc`` ending in an ElastAlert key)."""
    parts = list(loc)
    if error_type != "extra_forbidden" or not parts:
        return None
    key = str(parts[-1])
    if key not in ELASTALERT_KEYS:
        return None
    return f"{key!r} is ElastAlert's; in grokpipe: {ELASTALERT_KEYS[key]}"


def summary(errors: Sequence[Mapping[str, Any]]) -> str:
    """The 422's message: a rule written for ElastAlert is told where the converter is."""
    if any(e.get("hint") for e in errors):
        return (
            "request body or parameters are invalid: keys from ElastAlert (see each error's hint); "
            "grokpipe rules import FILE converts ElastAlert rule files"
        )
    return "request body or parameters are invalid"
