"""Ceilings on request bodies, per route, for every HTTP request the server takes (REST API, pages and
their upload route, webhooks). A body is refused with 413 in the contract's error shape at once when its
Content-Length is over the ceiling, and otherwise as soon as the bytes that arrived pass it: nothing past
the ceiling is ever read into memory or handed to a route."""
from __future__ import annotations

import json
import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB, MIB = 1024, 1024 * 1024
DEFAULT = 1 * MIB  # REST bodies, pages, and the page socket's long polling (Engine.IO's own ceiling is 1 MB)
SMALL = 64 * KIB  # sign-in, and the sandbox's one message
PROVIDER = 1 * MIB  # a provider's batch of events (they send well under 1 MB)
MULTIPART_OVERHEAD = 64 * KIB  # part headers and a caption (a text field holds at most 16 KiB)

_UPLOADS = re.compile(r"/api/v1/interactions/[^/]+/messages|/_nicegui/client/[^/]+/upload/[^/]+")


class BodyLimits:
    """Runs an ASGI app with the request body counted against the route's ceiling.

    `attachment_mb()` is the workspace's attachment limit, read per upload so that a change applies to the
    next one."""

    def __init__(self, attachment_mb: Callable[[], int]) -> None:
        self._attachment_mb = attachment_mb

    def ceiling(self, scope: Scope) -> tuple[int, str]:
        """The most bytes the request's body may have, and how a refusal says it."""
        path = scope["path"]
        if path.startswith("/webhooks/"):
            limit = SMALL if path.startswith("/webhooks/sandbox/") else PROVIDER
            return limit, f"The body is larger than {limit // KIB} KB."
        if _UPLOADS.fullmatch(path) and _header(scope, b"content-type").startswith(b"multipart/"):
            mb = self._attachment_mb()
            return mb * MIB + MULTIPART_OVERHEAD, f"The file is larger than {mb} MB."
        limit = SMALL if path.startswith("/api/v1/auth/") else DEFAULT
        return limit, f"The body is larger than {limit // KIB} KB."

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        limit, reason = self.ceiling(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, reason)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await _refuse(send, reason)
                    raise _Refused
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, counted, tracked)
        except* _Refused:
            pass


class _Refused(BaseException):
    """Raised into the route that reads a body past its ceiling. Not an Exception, so that no handler of
    the app (FastAPI's body parsing, the catch-all error handler, NiceGUI's) takes it for a failure of its
    own and answers or logs it: the route stops, and the 413 already sent is the answer."""


def _header(scope: Scope, wanted: bytes) -> bytes:
    for name, value in scope["headers"]:
        if name == wanted:
            return value
    return b""


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value.isdigit() else None


async def _refuse(send: Send, reason: str) -> None:
    body = json.dumps({"error": {"code": "too_large", "message": reason}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
