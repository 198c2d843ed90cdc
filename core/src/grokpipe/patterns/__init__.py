"""Log patterns shared by the indexer (the per-event key), the offline scan and the api (mining, merging).

The event fields are :data:`grokpipe.fieldnames.LOG_PATTERN_KEY` and
:data:`grokpipe.fieldnames.LOG_PATTERN_TEMPLATE`.
"""
