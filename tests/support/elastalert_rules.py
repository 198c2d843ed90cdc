"""ElastAlert2 rule files written the way its documentation shows them (the example_rules folder)."""

from __future__ import annotations

FREQUENCY = """\
# From examples/rules/example_frequency.yaml
name: Example frequency rule
type: frequency
index: logstash-*
num_events: 50
timeframe:
    hours: 4
filter:
- term:
    some_field: "some_value"
alert:
- "email"
email:
- "elastalert@example.com"
"""

SPIKE = """\
name: Event spike
type: spike
index: logstash-*
threshold_cur: 5
timeframe:
  hours: 2
spike_height: 3
spike_type: "up"
filter:
- query:
    query_string:
      query: "field: value"
alert:
- "email"
email:
- "elastalert@example.com"
"""

NEW_TERM = """\
name: Example new term rule
type: new_term
index: logstash-*
fields:
 - "username"
terms_window_size:
  days: 30
filter:
- query:
    query_string:
      query: "field: value"
alert:
- "email"
email:
- "elastalert@example.com"
"""

CARDINALITY = """\
name: Example cardinality rule
type: cardinality
index: logstash-*
timeframe:
  hours: 4
cardinality_field: "Hostname"
max_cardinality: 1
filter:
- term:
    status: "active"
alert:
- "email"
email:
- "elastalert@example.com"
"""

METRIC = """\
name: Metricbeat CPU Spike Rule
type: metric_aggregation
index: metricbeat-*
buffer_time:
  hours: 1
metric_agg_key: system.cpu.user.pct
metric_agg_type: avg
query_key: beat.hostname
doc_type: metricsets
bucket_interval:
  minutes: 5
sync_bucket_interval: true
max_threshold: 0.10
filter:
- term:
    metricset.name: cpu
alert:
- "email"
email:
- "elastalert@example.com"
"""

FLATLINE = """\
name: Heartbeat stopped
type: flatline
index: logstash-*
threshold: 3
timeframe:
  minutes: 10
use_count_query: true
query_key: host.name
alert:
- slack
slack_webhook_url: "https://hooks.slack.com/services/T000/B000/XXXX"
"""

ANY = """\
name: PHP fatal errors
type: any
index: logs-*
realert:
  minutes: 30
query_key:
- error.grouping_key
filter:
- bool:
    must:
    - terms:
        event.dataset: ["php.error", "nginx.error"]
    - range:
        http.response.status_code:
          gte: 500
          lt: 600
    must_not:
    - term:
        log.level: "debug"
alert:
- dingtalk
- post
dingtalk_access_token: "xxxxxxxx"
http_post_url: "http://example.com/hook"
"""

CHANGE = """\
name: New country login
type: change
index: logstash-*
compare_key: country_name
ignore_null: true
query_key: username
timeframe:
  days: 1
filter:
- query:
    query_string:
        query: "document_type: login"
alert:
- "email"
email:
- "elastalert@example.com"
"""

PERCENTAGE = """\
name: Example Percentage Match
type: percentage_match
index: logstash-*
description: "95% of all http requests should be successful"
filter:
- term:
    _type: http_request
buffer_time:
  minutes: 5
match_bucket_filter:
- terms:
    response_code: [200, 201, 204]
min_percentage: 95
alert:
- "email"
email:
- "elastalert@example.com"
"""
