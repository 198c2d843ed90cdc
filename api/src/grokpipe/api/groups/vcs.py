"""The seam between :class:`~grokpipe.api.groups.blame.Blame` and one version-control system."""

from __future__ import annotations

import logging
import subprocess
from typing import Protocol

from grokpipe.api.groups.schemas import Owner

log = logging.getLogger(__name__)


class BlameUnavailable(Exception):
    """The repository cannot answer (wrong password, no server, no working copy): owners stay unknown.

    ``reason`` is safe to log: it never carries a password.
    """

    retriable = True

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Repository(Protocol):
    #: what the config says about this repository (no secret): a change of it asks every owner again
    identity: str

    def revision(self) -> str:
        """The revision blamed now (git HEAD, svn working-copy or repository revision)."""
        ...

    def blame(self, relative: str, line: int, revision: str) -> Owner | None:
        """The author of ``line`` of ``relative`` at ``revision``; None for no such line or file."""
        ...


def run(
    command: list[str], *, timeout: float, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a VCS command; a missing program or a timeout is :class:`BlameUnavailable`."""
    try:
        return subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
    except FileNotFoundError:
        raise BlameUnavailable(f"{command[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise BlameUnavailable(f"{command[0]} {command[1]} took longer than blame.timeout ({timeout:g} s)") from None
    except OSError as exc:
        raise BlameUnavailable(f"{command[0]} failed: {type(exc).__name__}") from None
