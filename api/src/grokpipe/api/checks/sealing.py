"""Check secrets at rest: sealed under ``checks.secrets_keys`` before they reach Elasticsearch, so
whoever can read the checks index (a Kibana user, a snapshot) cannot read what a check logs in with.

Sealing is Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``). A stored secret is either
``{"sealed": "<token>"}`` or a plain string: written while no key was set, or before keys existed.
The first key seals and every key opens, so a key is rotated by putting the new one first: at start
the api re-seals every stored check under it (:meth:`CheckStore.reseal`), then the old key can go.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

SEALED = "sealed"


def generate_key() -> str:
    """A new key for ``checks.secrets_keys``."""
    return Fernet.generate_key().decode("ascii")


def valid_key(key: str) -> bool:
    """32 bytes in URL-safe base64, as :func:`generate_key` writes them."""
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


@dataclass
class Opened:
    """A stored check's secrets: the values, and the names sealed under a key this api does not have."""

    secrets: dict[str, str] = field(default_factory=dict)
    unopened: dict[str, Any] = field(default_factory=dict)  # name -> what is stored (kept as it is)
    #: stored as plain text, or sealed under a key other than the first: :meth:`Sealer.seal_all` rewrites them
    stale: bool = False


class Sealer:
    def __init__(self, keys: Sequence[SecretStr]) -> None:
        self._fernets = [Fernet(key.get_secret_value()) for key in keys]  # the first seals

    @property
    def enabled(self) -> bool:
        return bool(self._fernets)

    def seal_all(self, secrets: Mapping[str, str]) -> dict[str, Any]:
        """What is stored for ``secrets``: sealed under the first key, or plain without keys."""
        if not self._fernets:
            return dict(secrets)
        seal = self._fernets[0].encrypt
        return {name: {SEALED: seal(value.encode()).decode("ascii")} for name, value in secrets.items()}

    def open_all(self, stored: Mapping[str, Any]) -> Opened:
        opened = Opened()
        for name, value in stored.items():
            if not isinstance(value, Mapping):
                opened.secrets[name] = str(value)
                opened.stale |= self.enabled
                continue
            token = str(value.get(SEALED, "")).encode()
            for i, fernet in enumerate(self._fernets):  # the first key first: one decryption as a rule
                try:
                    opened.secrets[name] = fernet.decrypt(token).decode()
                except InvalidToken:  # another key's, or not a token at all
                    continue
                opened.stale |= i > 0
                break
            else:
                opened.unopened[name] = dict(value)
        return opened
