"""Who may call the admin API: every route under /api/v1/admin, read from the running server's own route
table (its OpenAPI document) at test time, so an endpoint added later is covered without touching this file.

Admins are let through (never 401/403, never a server error); supervisors and agents get 403 in the
contract's error shape and change nothing; a request without a token gets 401.
"""
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_error
from tests.serverproc import Api, ServerProcess

PREFIX = "/api/v1/admin"
MUTATING = {"post", "put", "patch", "delete"}


def _value(schema: dict[str, Any]) -> str:
    """A value that passes a path parameter's validation and names nothing that exists."""
    for option in [schema, *schema.get("anyOf", []), *schema.get("allOf", [])]:
        if option.get("enum"):
            return str(option["enum"][0])
        if "const" in option:
            return str(option["const"])
    return "987654321"


def admin_routes(base: str) -> list[tuple[str, str]]:
    """(METHOD, concrete path) for every operation under /api/v1/admin that the server serves."""
    document = httpx.get(f"{base}/openapi.json", timeout=20).json()
    routes = []
    for path, operations in document["paths"].items():
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            continue
        for method, operation in operations.items():
            if method not in {"get", *MUTATING}:
                continue
            concrete = path
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    concrete = concrete.replace("{" + parameter["name"] + "}", _value(parameter.get("schema", {})))
            assert "{" not in concrete, f"an unfilled path parameter in {method.upper()} {path}"
            routes.append((method.upper(), concrete))
    return sorted(routes)


def _call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path.removeprefix("/api/v1"), content=None if body is None else json.dumps(body),
                          headers={"content-type": "application/json"} if body is not None else {})


@pytest.fixture(scope="module")
def routes(demo_server: ServerProcess) -> list[tuple[str, str]]:
    found = admin_routes(demo_server.base)
    paths = {p for _, p in found}
    # the table is the real one: the routes of every admin router are in it
    for expected in ("/api/v1/admin/users", "/api/v1/admin/settings", "/api/v1/admin/queues",
                     "/api/v1/admin/accounts", "/api/v1/admin/dispositions", "/api/v1/admin/canned-answers",
                     "/api/v1/admin/templates", "/api/v1/admin/campaigns", "/api/v1/admin/tags"):
        assert expected in paths, expected
    assert len(found) >= 40, found
    return found


def _snapshot(admin: Api, routes: list[tuple[str, str]]) -> dict[str, Any]:
    """Everything the admin API lists, read as an admin."""
    seen = {}
    for method, path in routes:
        if method == "GET" and "987654321" not in path:
            r = _call(admin.client, method, path)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
            seen[path] = r.json()
    return seen


@pytest.mark.parametrize("role", ["supervisor", "agent1"])
def test_supervisors_and_agents_are_refused_everywhere_and_change_nothing(demo_server: ServerProcess,
                                                                          clients: dict[str, Api],
                                                                          routes: list[tuple[str, str]],
                                                                          role: str) -> None:
    before = _snapshot(clients["admin"], routes)
    for method, path in routes:
        r = _call(clients[role].client, method, path)
        assert r.status_code == 403, f"{role} {method} {path}: {r.status_code} {r.text}"
        assert_error(r, 403)
    after = _snapshot(clients["admin"], routes)
    assert {k: v for k, v in after.items() if not k.startswith("/api/v1/admin/audit")} == \
           {k: v for k, v in before.items() if not k.startswith("/api/v1/admin/audit")}
    trail = after.get("/api/v1/admin/audit")
    if trail is not None:  # a refused request is no configuration change
        assert trail == before["/api/v1/admin/audit"]


def test_without_a_token_every_admin_route_answers_401(demo_server: ServerProcess,
                                                       routes: list[tuple[str, str]]) -> None:
    with httpx.Client(base_url=demo_server.base + "/api/v1", timeout=20) as anonymous:
        for method, path in routes:
            r = _call(anonymous, method, path)
            assert r.status_code == 401, f"{method} {path}: {r.status_code} {r.text}"
            assert_error(r, 401)
        bad = httpx.Client(base_url=demo_server.base + "/api/v1", timeout=20,
                           headers={"Authorization": "Bearer not-a-token"})
        with bad:
            for method, path in routes:
                assert _call(bad, method, path).status_code == 401, f"{method} {path}"


def test_admins_pass_the_check_on_every_route(demo_server: ServerProcess, clients: dict[str, Api],
                                              routes: list[tuple[str, str]]) -> None:
    """Nothing named exists and the bodies are empty, so the answers are 200, 404 or 422: never a refusal."""
    for method, path in routes:
        r = _call(clients["admin"].client, method, path)
        assert r.status_code not in (401, 403), f"{method} {path}: {r.status_code} {r.text}"
        assert r.status_code < 500, f"{method} {path}: {r.status_code} {r.text}"
        if r.status_code >= 400:
            assert_error(r, r.status_code)
