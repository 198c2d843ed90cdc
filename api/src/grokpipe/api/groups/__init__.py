"""Error groups: every distinct error known once, with exact counts, status, owner and digests."""
