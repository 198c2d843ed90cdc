"""A real Subversion server for blame tests: ``svnserve`` on loopback, a password-protected repository
(no anonymous access), and commits by chosen users."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grokpipe.embedded import free_port

USERS = {"ann": "ann-s3cret", "bob": "bob-s3cret"}


@dataclass
class SvnServer:
    url: str
    root: Path

    def _svn(self, user: str, *args: str, cwd: Path | None = None) -> str:
        command = ["svn", *args, "--non-interactive", "--no-auth-cache", "--config-dir", str(self.root / "cfg")]
        command += ["--username", user, "--password-from-stdin"]
        done = subprocess.run(
            command, input=USERS[user] + "\n", capture_output=True, text=True, cwd=cwd, check=True, timeout=60
        )
        return done.stdout

    def commit(self, user: str, files: dict[str, str]) -> int:
        """Write ``files`` in a working copy as ``user`` and commit them; the new revision."""
        wc = self.root / f"wc-{user}"
        if not wc.exists():
            self._svn(user, "checkout", "-q", self.url, str(wc))
        else:
            self._svn(user, "update", "-q", cwd=wc)
        for name, text in files.items():
            path = wc / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self._svn(user, "add", "-q", "--force", ".", cwd=wc)
        self._svn(user, "commit", "-q", "-m", f"by {user}", cwd=wc)
        return int(self._svn(user, "info", "--show-item", "revision", self.url).strip())

    def checkout(self, user: str, target: Path) -> Path:
        self._svn(user, "checkout", "-q", self.url, str(target))
        return target

    def update(self, user: str, wc: Path) -> None:
        self._svn(user, "update", "-q", cwd=wc)


@contextmanager
def svn_server(root: Path) -> Iterator[SvnServer]:
    repo = root / "repo"
    subprocess.run(["svnadmin", "create", str(repo)], check=True)
    (repo / "conf" / "svnserve.conf").write_text(
        "[general]\nanon-access = none\nauth-access = write\npassword-db = passwd\nrealm = grokpipe-test\n"
    )
    (repo / "conf" / "passwd").write_text("[users]\n" + "".join(f"{u} = {p}\n" for u, p in USERS.items()))
    port = free_port()
    proc = subprocess.Popen(
        ["svnserve", "-d", "--foreground", "--listen-host", "127.0.0.1", "--listen-port", str(port), "-r", str(repo)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("svnserve did not start") from None
                time.sleep(0.05)
        yield SvnServer(f"svn://127.0.0.1:{port}", root)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
