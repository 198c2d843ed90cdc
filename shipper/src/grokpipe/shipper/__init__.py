"""The shipper: tails files and receives syslog, publishes JSON events to Kafka."""
