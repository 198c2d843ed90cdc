"""One run of a check: per matrix row, the steps in order; values stored from one step feed the next.

A step fails when it gets no response, an assertion is false, or a ``store`` expression has no
value; a later step that needs a value that was never stored is *skipped* (and the row is down),
never counted as passing. ``wait`` steps use the injected ``sleep``, so tests move a fake clock.
Secret values, in every encoding the check's requests give them (:mod:`.redaction`), are replaced by
``[redacted]`` in everything a run returns.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from grokpipe.api.checks import conditions, evaluate, redaction, templating
from grokpipe.api.checks.conditions import Condition
from grokpipe.api.checks.evaluate import MISSING, Response
from grokpipe.api.checks.probe import Answer, ProbeError, Session
from grokpipe.api.checks.schemas import (
    AssertionResult,
    Check,
    CheckBody,
    CheckRun,
    MatrixValue,
    RequestStep,
    RowResult,
    StepResult,
    WaitStep,
)
from grokpipe.api.checks.settings import CheckSettings
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.durations import parse_duration

Sleep = Callable[[float], None]
ROW_THREADS = "check-row"


class _NoRequestLines(logging.Filter):
    """httpx logs every request's URL at INFO; a check's URL may hold a secret, and its redacted result
    says everything the line would. Drops httpx records from check threads only (notifiers keep theirs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName or "").startswith(ROW_THREADS)


_HTTPX_FILTER = _NoRequestLines()


@lru_cache(maxsize=4096)
def condition(text: str) -> Condition:
    return conditions.parse(text)


@lru_cache(maxsize=4096)
def expression(text: str) -> Condition:
    return conditions.parse_value(text)


def row_key(row: Mapping[str, MatrixValue]) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items())


def needs(step: RequestStep) -> set[str]:
    """The context values a step reads (its templates, assertions and store expressions)."""
    names = templating.context_names(step.request)
    for text in step.assertions:
        names |= conditions.context_names(condition(text).root)
    for text in step.store.values():
        names |= conditions.context_names(expression(text).root)
    return names


def parse_body(answer: Answer) -> tuple[Any, bool]:
    """The body as JSON when it is JSON (whatever the content type says), else its text."""
    text = answer.text()
    try:
        return json.loads(text), True
    except ValueError:
        return text, False


def unopened_row(row: dict[str, MatrixValue], names: list[str]) -> RowResult:
    """A row not run: the check needs secrets sealed under a key this api does not have."""
    why = f"secrets {', '.join(names)} cannot be opened: sealed under a key not in checks.secrets_keys"
    return RowResult(row=row, row_key=row_key(row), status="down", error=why, steps=[])


class CheckRunner:
    def __init__(self, settings: CheckSettings, clock: Clock, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        logging.getLogger("httpx").addFilter(_HTTPX_FILTER)  # idempotent: a filter is added once

    def execute(self, check: CheckBody, check_id: str | None = None) -> CheckRun:
        started = self.clock()
        began = time.perf_counter()
        rows = check.rows()
        workers = max(1, min(len(rows), self.settings.row_workers))
        unopened = sorted(check.unopened_secrets) if isinstance(check, Check) else []
        if unopened:
            results = [unopened_row(row, unopened) for row in rows]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix=ROW_THREADS) as pool:
                results = list(pool.map(lambda row: self.row(check, row), rows))
        secrets = [s.get_secret_value() for s in check.secrets.values() if s.get_secret_value()]
        dumped = [r.model_dump(mode="json") for r in results]
        forms = sorted(
            {form for secret in secrets for form in redaction.encodings(secret)}
            | set(redaction.basic_auth(redaction.urls_in(dumped), secrets)),
            key=lambda form: (-len(form), form),
        )
        results = [RowResult.model_validate(redaction.redact(r, forms)) for r in dumped]
        down = sum(r.status == "down" for r in results)
        return CheckRun(
            run_id=uuid.uuid4().hex,
            check_id=check_id,
            check_name=check.name,
            started=started,
            duration_ms=round((time.perf_counter() - began) * 1000, 3),
            status="down" if down else "up",
            up=len(results) - down,
            down=down,
            rows=results,
        )

    def row(self, check: CheckBody, row: dict[str, MatrixValue]) -> RowResult:
        began = time.perf_counter()
        secrets = {k: v.get_secret_value() for k, v in check.secrets.items()}
        context: dict[str, Any] = {}
        missing: dict[str, str] = {}  # context name -> the step that could not store it
        steps: list[StepResult] = []
        with Session(
            allow_link_local=self.settings.allow_link_local, max_bytes=self.settings.max_response_bytes
        ) as session:
            for step in check.steps:
                if isinstance(step, WaitStep):
                    seconds = parse_duration(step.wait).total_seconds()
                    self.sleep(seconds)
                    session.forget_connections()  # a server's keep-alive may run out during the wait
                    steps.append(StepResult(name=step.name, kind="wait", status="passed", duration_ms=seconds * 1000))
                    continue
                lacking = sorted(needs(step) & set(missing))
                if lacking:
                    why = "; ".join(f"context.{n} was not stored by step {missing[n]!r}" for n in lacking)
                    steps.append(StepResult(name=step.name, kind="request", status="skipped", error=f"skipped: {why}"))
                    for name in step.store:
                        missing.setdefault(name, step.name)
                    continue
                result = self.request(step, session, {"secrets": secrets, "context": context, "matrix": row})
                for name in step.store:
                    if name in result.stored:
                        context[name] = result.stored[name]
                    else:
                        missing[name] = step.name
                steps.append(result)
        failed = next((s for s in steps if s.status != "passed"), None)
        return RowResult(
            row=row,
            row_key=row_key(row),
            status="down" if failed else "up",
            error=f"{failed.name}: {failed.error}" if failed else None,
            duration_ms=round((time.perf_counter() - began) * 1000, 3),
            steps=steps,
            stored=dict(context),
        )

    def request(self, step: RequestStep, session: Session, variables: dict[str, Any]) -> StepResult:
        result = StepResult(name=step.name, kind="request", status="failed", method=step.request.method)
        began = time.perf_counter()
        try:
            rendered = templating.render(step.request, variables)
        except templating.TemplateFailed as exc:
            result.error = exc.reason
            return result
        result.url = rendered.url
        timeout = (
            parse_duration(step.request.timeout).total_seconds() if step.request.timeout else self.settings.timeout
        )
        answer: Answer | None = None
        probe_error: str | None = None
        try:
            answer = session.send(rendered, timeout=timeout, follow_redirects=step.request.follow_redirects)
        except ProbeError as exc:
            probe_error = exc.reason
        result.duration_ms = round((time.perf_counter() - began) * 1000, 3)
        body: Any = MISSING
        is_json = False
        if answer is not None:
            body, is_json = parse_body(answer)
            result.url = answer.url
            result.status_code = answer.status
            result.response_time_ms = round(answer.elapsed_ms, 3)
            text = answer.text()
            limit = self.settings.body_limit
            result.body = text if len(text) <= limit and not answer.truncated else text[:limit] + "…[truncated]"
        view = Response(
            status=answer.status if answer else None,
            response_time_ms=answer.elapsed_ms if answer else None,
            body=body,
            headers=answer.headers if answer else {},
            context=variables["context"],
        )
        errors: list[str] = [probe_error] if probe_error else []
        for text in step.assertions:
            outcome = evaluate.check(condition(text), view)
            result.assertions.append(AssertionResult(condition=text, passed=outcome.passed, detail=outcome.detail))
            if not outcome.passed and not probe_error:
                errors.append(f"assert {text}: {outcome.detail}")
        for name, text in step.store.items():
            value = evaluate.value_of(expression(text), view)
            if value is not MISSING:
                result.stored[name] = value
            elif probe_error:
                errors.append(f"store {name}: no response")
            elif text.lstrip().startswith("[BODY]") and not is_json and text.strip() != "[BODY]":
                errors.append(f"store {name}: the response body is not JSON")
            else:
                errors.append(f"store {name}: {text} is not in the response")
        if errors:
            result.error = "; ".join(errors)
        else:
            result.status = "passed"
        return result
