"""Every operation of /openapi.json fuzzed from its schema (schemathesis) against a real api on noida-db.

Bounded: a few generated requests per operation, a fixed seed, no example database; every new route is
in the document, so it is fuzzed from its first commit. Each response must be: no 5xx (a client's mistake
is a 4xx with a reason), a status code the document declares for that operation, and a body of the
declared content type and schema.

Not sent: the operations that make HTTP requests to the addresses in their body (a check's preview and
run), which would reach whatever host the generator names; their validation is the one ``POST /checks``
runs, which is fuzzed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.api import ADMIN_KEY, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.api.config import ApiSettings
from grokpipe.embedded import EmbeddedStack

NOT_SENT = {("POST", "/checks/preview"), ("POST", "/checks/{check_id}/run")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: the document as the app builds it (no server needed to list the operations at collection time)
DOCUMENT = create_app(ApiSettings.model_validate({"auth": {"admin_keys": [ADMIN_KEY]}, "dev_sink": True})).openapi()
OPERATIONS: list[Any] = [
    operation
    for operation in (
        result.ok() if isinstance(result, Ok) else pytest.fail(f"invalid schema: {result.err()}")
        for result in schemathesis.openapi.from_dict(DOCUMENT).get_all_operations()
    )
    if (operation.method.upper(), operation.path) not in NOT_SENT
]


@pytest.fixture(scope="module")
def api_url(stack: EmbeddedStack) -> Iterator[str]:
    notifiers = {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}}
    with serve(create_app(api_settings(stack, notifiers=notifiers, dev_sink=True), clock=FakeClock())) as url:
        yield url


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
def test_every_operation_answers_as_documented(api_url: str, operation: Any) -> None:
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @seed(25)
    @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        case.call_and_validate(base_url=api_url, headers={"X-API-Key": ADMIN_KEY}, checks=CHECKS, timeout=30)

    fuzz()
