"""Configuration of one file input."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import Field, model_validator

from grokpipe.multiline import MultilineSettings
from grokpipe.settings import Section


class FileInputSettings(Section):
    type: Literal["file"]
    id: str | None = Field(default=None, description="stable name of the input; names its registry file")
    paths: list[str] = Field(min_length=1, description="globs; ** recurses")
    exclude: list[str] = Field(default_factory=list, description="fnmatch patterns on path or file name")
    dataset: str = Field(default="generic", pattern=r"^[a-z0-9_.]+$")
    tags: list[str] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict, description="static fields under 'fields'")
    labels: dict[str, str] = Field(default_factory=dict, description="static ECS labels")
    start_position: Literal["beginning", "end"] = Field(
        default="beginning", description="where to start files found at start-up with no registry entry"
    )
    scan_frequency: float = Field(default=10.0, gt=0)
    max_line_bytes: int = Field(default=1024 * 1024, ge=64)
    read_buffer: int = Field(default=64 * 1024, ge=1024)
    close_timeout: float = Field(
        default=5.0, ge=0, description="seconds a renamed or removed file is kept open after its last data"
    )
    close_inactive: float = Field(default=300.0, gt=0, description="close a file with no new data this long")
    clean_inactive: float = Field(
        default=72 * 3600.0,
        gt=0,
        description="forget files idle this long; older files with no registry entry are not read",
    )
    rotation: Literal["rename", "copytruncate"] = Field(
        default="rename",
        description="copytruncate: a new file whose first line equals a known file's is its rotated copy",
    )
    multiline: MultilineSettings | None = None

    @model_validator(mode="after")
    def _checks(self) -> FileInputSettings:
        if self.clean_inactive <= self.scan_frequency:
            raise ValueError("clean_inactive must be longer than scan_frequency")
        return self

    @property
    def name(self) -> str:
        if self.id:
            return self.id
        return "file-" + hashlib.blake2b("\n".join(sorted(self.paths)).encode(), digest_size=4).hexdigest()
