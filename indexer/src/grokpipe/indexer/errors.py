"""Errors of the indexer.

GrokpipeError (grokpipe.errors)
├── ElasticsearchUnavailable   a request failed as a whole: connection, timeout, 429, 5xx (retriable=True)
├── ElasticsearchRejected      Elasticsearch refused a request (4xx): sending it again fails again
├── KafkaUnavailable / KafkaRejected
└── IndexerError               (retriable=False)
    ├── PatternError           a grok pattern or pattern file is invalid
    └── PipelineError          a pipeline file is invalid: the message names the file and step
        └── InvalidLibraryFile a pipeline file or routing.yml does not validate (indexer.pipelinefile);
                               ``problems``: file, step index, step type, key, reason of each
"""

from __future__ import annotations

from grokpipe.errors import (
    ElasticsearchRejected,
    ElasticsearchUnavailable,
    GrokpipeError,
    KafkaRejected,
    KafkaUnavailable,
)

__all__ = [
    "ElasticsearchRejected",
    "ElasticsearchUnavailable",
    "IndexerError",
    "KafkaRejected",
    "KafkaUnavailable",
    "PatternError",
    "PipelineError",
]


class IndexerError(GrokpipeError):
    pass


class PatternError(IndexerError):
    pass


class PipelineError(IndexerError):
    pass
