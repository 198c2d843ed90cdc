"""A real git repository for blame tests: files committed by chosen authors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def commit(repo: Path, files: dict[str, str], author: str, email: str, when: str = "2026-01-01T10:00:00+00:00") -> str:
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = os.environ | {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": when,
    }
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", f"by {author}"], check=True, env=env)
    out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, env=env, capture_output=True)
    return out.stdout.decode().strip()


def php_lines(count: int, changed: dict[int, str] | None = None) -> str:
    lines = [f"<?php // line {i}" if i == 1 else f"$x{i} = {i};" for i in range(1, count + 1)]
    for number, text in (changed or {}).items():
        lines[number - 1] = text
    return "\n".join(lines) + "\n"
