#!/bin/sh
# One-shot setup: kibana_system password, our index template, Kibana saved objects.
# Idempotent: run again after an upgrade with `docker compose run --rm setup`.
set -eu
ES=http://elasticsearch:9200
KIBANA=http://kibana:5601
AUTH="elastic:${ELASTIC_PASSWORD}"

until curl -fsS -u "$AUTH" "$ES/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 3
done
curl -fsS -u "$AUTH" -H 'content-type: application/json' \
  -XPOST "$ES/_security/user/kibana_system/_password" -d "{\"password\":\"${KIBANA_PASSWORD}\"}" >/dev/null
echo "kibana_system password set"

# The template the indexer installs at start (indexer/templates/logs.json), installed by the indexer itself.
grokpipe indexer --setup-only -c /etc/grokpipe/indexer.yml

until curl -fsS -u "$AUTH" "$KIBANA/api/status" | grep -q '"level":"available"'; do
  echo "waiting for Kibana"; sleep 5
done
curl -fsS -u "$AUTH" -H 'kbn-xsrf: true' \
  -XPOST "$KIBANA/api/saved_objects/_import?overwrite=true" --form file=@/kibana/grokpipe.ndjson
echo
echo "setup done"
