"""Errors of the shipper.

ShipperError
├── PublisherClosed      publish() called while shutting down; the event was not sent (retriable=False)
├── KafkaUnavailable     the broker cannot be reached; the publisher keeps retrying (retriable=True)
└── RegistryError        the offsets registry cannot be read or written (retriable=False)
"""

from __future__ import annotations


class ShipperError(Exception):
    retriable = False


class PublisherClosed(ShipperError):
    pass


class KafkaUnavailable(ShipperError):
    retriable = True


class RegistryError(ShipperError):
    pass
