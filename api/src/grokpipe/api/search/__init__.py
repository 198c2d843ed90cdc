"""Log search: a Lucene query over a time range, paged by ``search_after``, with a histogram, the top
values of a field and numbers (count, avg, min, max, percentiles) of a numeric field."""
