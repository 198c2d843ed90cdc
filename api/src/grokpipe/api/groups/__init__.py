"""Error groups: every distinct error known once, with exact counts, status and owner."""
