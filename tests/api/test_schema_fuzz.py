"""Schemathesis over our own OpenAPI document, against a real server, as each role: no answer is a 5xx, every
status and content type is one the document names, and every JSON answer matches its documented schema.

Bounded and deterministic: a few examples per operation, derandomized. The admin pass runs last (pytest runs
a module's tests in order): as an admin the fuzzer may disable users, change passwords and settings, which
would end the other roles' sessions; nothing is excluded from any pass.
"""
from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import one_of
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.serverproc import Api, ServerProcess

pytestmark = pytest.mark.fuzz  # run by .ci/run after the README suite (see pyproject.toml)

EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def operations(demo_server: ServerProcess) -> list[APIOperation]:
    schema = schemathesis.openapi.from_url(f"{demo_server.base}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


class Caller:
    """The role's credentials for each operation: signed in again when a fuzzed call ended the session (a
    logout, or an admin's change to that user), so that every operation is fuzzed as the role, not as nobody."""

    def __init__(self, server: ServerProcess, username: str | None) -> None:
        self.server = server
        self.username = username
        self.authorization: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        if self.username is None:
            return {}
        if not self.authorization or httpx.get(f"{self.server.base}/api/v1/me", headers=self.authorization,
                                               timeout=20).status_code == 401:
            api = Api(self.server.base, self.username)
            self.authorization = {"Authorization": api.client.headers["Authorization"]}
        return self.authorization


FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _fuzz_every_operation(operations: list[APIOperation], caller: Caller) -> None:
    """A few requests for every operation, valid and invalid mixed; the first operation that fails names itself.

    Driven through schemathesis' strategies rather than its pytest plugin, which reaches into pytest's internals.
    """
    base = caller.server.base
    for operation in operations:
        requests = one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=requests)
        @FUZZ
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base, headers=caller.headers(), checks=CHECKS, timeout=30)

        try:
            call()
        except Exception as error:
            raise AssertionError(f"{operation.label}: {error}") from error


def test_anonymous(operations: list[APIOperation], demo_server: ServerProcess) -> None:
    _fuzz_every_operation(operations, Caller(demo_server, None))


def test_agent(operations: list[APIOperation], demo_server: ServerProcess) -> None:
    _fuzz_every_operation(operations, Caller(demo_server, "agent1"))


def test_supervisor(operations: list[APIOperation], demo_server: ServerProcess) -> None:
    _fuzz_every_operation(operations, Caller(demo_server, "supervisor"))


def test_admin(operations: list[APIOperation], demo_server: ServerProcess) -> None:
    _fuzz_every_operation(operations, Caller(demo_server, "admin"))


def test_the_document_names_the_error_shape_and_the_pdf(demo_server: ServerProcess) -> None:
    document = httpx.get(f"{demo_server.base}/openapi.json").json()
    transcript = document["paths"]["/api/v1/interactions/{interaction_id}/transcript.pdf"]["get"]["responses"]
    assert list(transcript["200"]["content"]) == ["application/pdf"]
    for status in ("401", "403", "404", "422"):
        assert transcript[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "429" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
