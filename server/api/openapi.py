"""The OpenAPI document (/openapi.json) with every answer a REST route can give.

FastAPI documents a route's success and its own 422 (in a shape we never send). Every error we answer has the
contract's shape `{"error": {"code", "message", "field"?}}` (server/api/errors.py), and which errors a route can give
follows from what it takes: credentials (401), a signed-in user (403, 404 for rows, 409 for writes), a body
(413 past its ceiling), input (400, 422), the actors and the writer behind it (503). Route-specific answers (a
PDF, a provider's 502) are declared on the route itself with `responses=`.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import RouteContext, iter_route_contexts

from server.api.deps import principal

ERROR = "Error"
ERROR_SCHEMA = {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {
    "error": {"type": "object", "required": ["code", "message"], "additionalProperties": False,
              "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                             "field": {"type": "string", "description": "The input the error concerns, if one"}}}}}
DESCRIPTIONS = {400: "The body cannot be read", 401: "Not signed in, or the session has ended",
                403: "Not allowed to this user", 404: "No such row, or not one this user may see",
                409: "In conflict with the current state", 413: "The body is larger than this route takes",
                422: "Invalid input", 503: "The server cannot take the work now; try again"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _signed_in(dependant: Dependant) -> bool:
    return any(d.call is principal or _signed_in(d) for d in dependant.dependencies)


def error_statuses(route: RouteContext, method: str) -> set[int]:
    """The error statuses `route` can answer to `method`."""
    statuses = {400, 401, 422, 503} | ({413} if method in WRITES else set())
    if _signed_in(route.dependant):
        statuses |= {403, 404} | ({409} if method in WRITES else set())
    elif route.dependant.path_params:
        statuses.add(404)
    return statuses


def _error_answer(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}}}


def documented(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app` with the error answers of every route."""
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    for route in iter_route_contexts(app.routes):  # the routes of included routers too, with their prefix
        if getattr(route, "dependant", None) is None or not route.include_in_schema:
            continue
        assert route.methods is not None  # a route with a dependant in the schema is an APIRoute, which has them
        for method in route.methods:
            operation = schema["paths"][route.path_format][method.lower()]
            answers = operation.setdefault("responses", {})
            for status in error_statuses(route, method):
                answers.setdefault(str(status), _error_answer(status))
            answers[str(422)] = _error_answer(422)  # FastAPI's own would name its validation shape
            for status, answer in answers.items():  # those the route declares, in the error shape too
                if int(status) >= 400:
                    answer["content"] = _error_answer(int(status))["content"]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components[ERROR] = ERROR_SCHEMA
    return schema


def document_answers(app: FastAPI) -> None:
    """Serve `documented(app)` as the app's OpenAPI document (built once, on first request)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = documented(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
