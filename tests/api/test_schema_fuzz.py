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
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.serverproc import Api, ServerProcess

EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(demo_server: ServerProcess) -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{demo_server.base}/openapi.json")
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def _headers(server: ServerProcess, username: str | None) -> dict[str, str]:
    if username is None:
        return {}
    api = Api(server.base, username)
    return {"Authorization": api.client.headers["Authorization"]}


def _fuzz(case: schemathesis.Case, server: ServerProcess, headers: dict[str, str]) -> None:
    case.call_and_validate(base_url=server.base, headers=headers, checks=CHECKS, timeout=30)


FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_anonymous(case: schemathesis.Case, demo_server: ServerProcess) -> None:
    _fuzz(case, demo_server, {})


@pytest.fixture(scope="module")
def agent(demo_server: ServerProcess) -> dict[str, str]:
    return _headers(demo_server, "agent1")


@pytest.fixture(scope="module")
def supervisor(demo_server: ServerProcess) -> dict[str, str]:
    return _headers(demo_server, "supervisor")


@pytest.fixture(scope="module")
def admin(demo_server: ServerProcess) -> dict[str, str]:
    return _headers(demo_server, "admin")


@schema.parametrize()
@FUZZ
def test_agent(case: schemathesis.Case, demo_server: ServerProcess, agent: dict[str, str]) -> None:
    _fuzz(case, demo_server, agent)


@schema.parametrize()
@FUZZ
def test_supervisor(case: schemathesis.Case, demo_server: ServerProcess, supervisor: dict[str, str]) -> None:
    _fuzz(case, demo_server, supervisor)


@schema.parametrize()
@FUZZ
def test_admin(case: schemathesis.Case, demo_server: ServerProcess, admin: dict[str, str]) -> None:
    _fuzz(case, demo_server, admin)


def test_the_document_names_the_error_shape_and_the_pdf(demo_server: ServerProcess) -> None:
    document = httpx.get(f"{demo_server.base}/openapi.json").json()
    transcript = document["paths"]["/api/v1/interactions/{interaction_id}/transcript.pdf"]["get"]["responses"]
    assert list(transcript["200"]["content"]) == ["application/pdf"]
    for status in ("401", "403", "404", "422"):
        assert transcript[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "429" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
