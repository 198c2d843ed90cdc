"""Errors of the shipper.

GrokpipeError (grokpipe.errors)
├── KafkaUnavailable     the broker cannot be reached; the publisher keeps retrying (retriable=True)
├── KafkaRejected        a fatal or permanent Kafka error (retriable=False)
└── ShipperError         (retriable=False)
    ├── PublisherClosed  publish() called while shutting down; the event was not sent
    └── RegistryError    the offsets registry cannot be read or written
"""

from __future__ import annotations

from grokpipe.errors import GrokpipeError, KafkaRejected, KafkaUnavailable

__all__ = ["KafkaRejected", "KafkaUnavailable", "PublisherClosed", "RegistryError", "ShipperError"]


class ShipperError(GrokpipeError):
    pass


class PublisherClosed(ShipperError):
    pass


class RegistryError(ShipperError):
    pass
