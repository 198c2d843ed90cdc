"""The Sentry input: what Sentry SDKs send (envelopes, the legacy store, cron check-ins), spooled then sent to Kafka."""
