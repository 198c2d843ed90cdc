"""The spool: a bounded write-ahead log between an input (syslog listeners, the Sentry endpoint) and Kafka.

Every accepted message is appended to a segment file before ``put`` returns; a drain thread hands the
records in order to ``publish`` (``Publisher.publish``) and Kafka's acknowledgements advance a
checkpoint, so an outage fills the disk instead of losing messages, and a restart replays what Kafka
had not acknowledged (at-least-once; the event ids minted at accept let Elasticsearch drop the
re-sends).

On disk, in ``directory``::

    00000000000000000000.seg   append-only segments, numbered consecutively, rolled at segment_bytes
    checkpoint.json            {"segment": N, "offset": M}: everything before is acknowledged
    lock                       flock'ed while a Spool owns the directory

One idea per module:

* ``spool``: the ``Spool`` facade: lifecycle, ``put``/``put_many``, acknowledgements, housekeeping timer
* ``admission``: at most ``max_bytes`` unacknowledged; ``put`` waits for room
* ``writer``: the open segment: whole-or-rolled-back appends, rolling, fsync
* ``fsync``: group fsync, one fsync for every writer waiting on it
* ``handoff``: records handed to the drain from memory while it keeps up
* ``drain``: the thread that publishes in log order, from memory or from the segments
* ``watermark``: out-of-order acknowledgements -> the contiguous acknowledged prefix (pure)
* ``checkpoint``: saving that prefix atomically and deleting the segments behind it
* ``recovery``: what the segments after the checkpoint hold at start, torn tails cut off
* ``lock``: one owner per directory
* ``segments``: the CRC-checked record format and segment files
* ``settings``, ``errors``

Records carry a CRC (``segments``), so a record torn by a crash, or the zero-filled tail a power
cut can leave, is detected: recovery cuts the segment there and counts it in ``dropped_torn``.
Acknowledgements arrive out of order (partitions, retries): the checkpoint only moves over a
contiguous run of acknowledged records (the watermark), and is written atomically (temp file, fsync,
rename, fsync of the directory) every 100 ms when it moved, and at stop. Segments wholly before the
saved checkpoint are deleted.

While the drain keeps up, ``put`` also hands each record to it from memory (at most 8 MiB), so the
file is written but never read back; once that buffer is full (Kafka slow or away) the drain falls
back to reading the segments from where it stands, and returns to memory when it has caught up.

What a crash can lose — ``put`` returns only after ``os.write`` handed the record to the kernel,
under every policy (there is no user-space write buffer):

* kill -9 of the shipper (or any crash of the process alone): nothing whose ``put`` returned True,
  whatever the policy — the page cache belongs to the kernel and reaches the file without us. What is
  lost is what never reached ``put``: messages the listeners were still framing or parsing, and bytes
  waiting in the kernel's socket buffers (TCP senders consider them delivered; UDP ones are gone).
  Records Kafka acknowledged after the last checkpoint (~100 ms of them) or had not acknowledged yet
  are sent again, with the same event ids.
* OS crash or power loss: ``always`` — nothing whose ``put`` returned (it fsyncs before returning,
  one fsync shared by the concurrent puts waiting on it); ``interval`` — at most the records put in
  the last ``fsync_interval`` seconds plus the time one fsync takes; ``never`` — whatever the kernel
  had not written back yet (Linux: dirty pages older than ``vm.dirty_expire_centisecs``, 30 s by
  default, are written by a flusher waking every 5 s: up to ~35 s). Under every policy segments are
  fsynced when they roll and at stop, and the checkpoint only ever covers records Kafka has.

``put`` blocks while the spool is full (up to its timeout) and, under ``always``, for an fsync; it
raises SpoolWriteError (retriable) when the disk refuses a write, which is rolled back.
"""

from grokpipe.shipper.spool.drain import OnAck, Publish
from grokpipe.shipper.spool.errors import SpoolError, SpoolWriteError
from grokpipe.shipper.spool.settings import SpoolSettings
from grokpipe.shipper.spool.spool import Spool

__all__ = ["OnAck", "Publish", "Spool", "SpoolError", "SpoolSettings", "SpoolWriteError"]
