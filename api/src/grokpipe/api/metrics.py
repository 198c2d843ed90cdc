"""Prometheus metrics of the api; updated where the matching log line is written."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RULE_RUNS = Counter("grokpipe_api_rule_runs_total", "Rule evaluations", ["outcome"])
RULE_DURATION = Histogram("grokpipe_api_rule_run_seconds", "Duration of one rule evaluation")
RULE_LATENESS = Histogram(
    "grokpipe_api_rule_lateness_seconds",
    "Start of an evaluation minus its scheduled tick",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 120),
)
NOTIFICATIONS = Counter("grokpipe_api_notifications_total", "Notifications by outcome", ["outcome"])
GROUP_SYNCS = Counter("grokpipe_api_error_group_syncs_total", "Error-group store updates", ["outcome"])
PATTERN_SYNCS = Counter("grokpipe_api_pattern_syncs_total", "Pattern store updates", ["outcome"])
PATTERN_OVERFLOW = Counter(
    "grokpipe_api_pattern_overflow_keys_total",
    "Pattern keys not kept in the store (patterns.max_patterns or max_keys_per_pattern reached)",
    ["reason"],
)
DIGESTS = Counter("grokpipe_api_digests_total", "Error digests sent", ["outcome"])
ALERTS = Counter("grokpipe_api_alerts_total", "Alert history documents", ["source", "kind"])
