"""The spool's exception types: a branch of ``ShipperError`` (see ``grokpipe.shipper.errors``)."""

from __future__ import annotations

from grokpipe.shipper.errors import ShipperError


class SpoolError(ShipperError):
    """The spool directory cannot be used: permissions, another owner, a corrupt checkpoint."""


class SpoolWriteError(SpoolError):
    """put() could not write or fsync (disk full, I/O error). A failed write is rolled back (the record
    is not spooled); after a failed fsync the record is in the page cache and will be sent. Retriable:
    acknowledgements free disk space by deleting segments."""

    retriable = True
