"""The product's errors, mapped once to HTTP: `{"error": {"code", "message"}}` with the right status, and
`"field"` when the error concerns one input of the body (`Invalid.field`)."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from tortoise.exceptions import ValidationError

from server.errors import ProductError, Throttled

log = logging.getLogger(__name__)


def error_body(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error = {"code": code, "message": message, **({"field": field} if field else {})}
    return JSONResponse({"error": error}, status_code=status)


def _describe(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(parts) or "Invalid request."


async def _product_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProductError)
    response = error_body(error.status, error.code, error.message, getattr(error, "field", None))
    if isinstance(error, Throttled):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_body(422, "invalid", _describe(error))


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 422: "invalid"}
    return error_body(error.status_code, codes.get(error.status_code, "error"), str(error.detail))


async def _unstorable(_: Request, error: Exception) -> JSONResponse:
    """A value the database's column cannot hold (tortoise checks lengths before any SQL): the caller's input."""
    return error_body(422, "invalid", "A value does not fit its field (too long, or not of its kind).")


async def _unexpected(request: Request, error: Exception) -> Response:
    """A bug: logged (the server also logs the traceback), answered without details."""
    log.error("unexpected %s on %s %s", type(error).__name__, request.method, request.url.path)
    if request.url.path.startswith(("/api/", "/webhooks/", "/media/")):
        return error_body(500, "internal", "Something went wrong on our side; it has been logged.")
    return PlainTextResponse("Internal Server Error", status_code=500)


ERROR_HANDLERS: dict[Any, Any] = {ProductError: _product_error, RequestValidationError: _validation_error,
                                  HTTPException: _http_error, ValidationError: _unstorable, Exception: _unexpected}


def install_error_handlers(app: FastAPI) -> None:
    for kind, handler in ERROR_HANDLERS.items():
        app.add_exception_handler(kind, handler)


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def answer_unknown_api_paths(app: FastAPI) -> None:
    """Under /api/, a path no route serves answers in the error shape (404, or 405 with Allow when only the
    method is wrong, whatever the method), instead of falling through to the web pages mounted at '/'.
    Call after the last API route."""
    routes = list(app.router.routes)

    async def unknown(request: Request) -> JSONResponse:
        allowed = [method for method in METHODS
                   if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
        if allowed:
            response = error_body(405, "method_not_allowed", f"Use {', '.join(allowed)} here.")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return error_body(404, "not_found", "There is no such API path.")

    route = Route("/api/{path:path}", unknown, include_in_schema=False)
    route.methods = None  # every method: Starlette would take GET and HEAD only
    app.router.routes.append(route)
