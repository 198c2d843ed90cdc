"""Patterns in the indexer: header extraction learned per source, the per-event key, the offline scan."""
