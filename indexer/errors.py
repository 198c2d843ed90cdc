"""Errors of the indexer.

IndexerError
├── PatternError          a grok pattern or pattern file is invalid (retriable=False)
├── PipelineError         a pipeline file is invalid: the message names the file and step (retriable=False)
└── ElasticsearchUnavailable   a bulk request failed as a whole (connection, 429, 5xx) (retriable=True)
"""

from __future__ import annotations


class IndexerError(Exception):
    retriable = False


class PatternError(IndexerError):
    pass


class PipelineError(IndexerError):
    pass


class ElasticsearchUnavailable(IndexerError):
    retriable = True
