"""The indexer: Kafka consumer group -> grok pipelines -> Elasticsearch, exactly once per event id."""
