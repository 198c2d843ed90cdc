"""The writes of checks and reports through the kernel's :class:`~grokpipe.api.kernel.crud.Crud`: vetted as
:mod:`.validate` says, and a check's PATCH keeps the secrets it does not set (the api may not open them)."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel

from grokpipe.api.checks import validate
from grokpipe.api.checks.schemas import Check, CheckBody, Report, ReportBody
from grokpipe.api.checks.store import CheckStore, ReportStore
from grokpipe.api.kernel.crud import Crud


class CheckCrud(Crud[CheckBody, Check]):
    """A PATCH that does not set ``secrets`` keeps the ones this api cannot open as stored; a PATCH's
    validation errors leave the input out (it may hold secrets)."""

    def __init__(self, store: CheckStore, notifiers: Collection[str]) -> None:
        super().__init__(store, CheckBody, "check", lambda body: validate.check_body(body, notifiers), echo_input=False)
        self.check_store = store

    def write(self, current: Check, body: CheckBody, if_match: str | None, patch: BaseModel | None = None) -> Check:
        keep = patch is not None and "secrets" not in patch.model_fields_set
        return self.check_store.replace(current, body, if_match, keep_secrets=keep)


def report_crud(store: ReportStore, notifiers: Collection[str]) -> Crud[ReportBody, Report]:
    return Crud(store, ReportBody, "report", lambda body: validate.report_body(body, notifiers))
