"""NUL characters are refused at the door of the REST API: PostgreSQL cannot store them in text, and no
name, message or search of ours needs one. A request whose path, query or JSON body holds one answers 422 in
the contract's error shape before any route reads it (a JSON body is watched as it streams, never held)."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.domain.nul import JSON_ESCAPED_NUL

MESSAGE = "Text may not contain NUL characters."
_CARRY = 64  # bytes of a chunk kept to find an escape cut across two chunks


def _holds_nul(scope: Scope) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope["query_string"]


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class RefuseNul:
    """ASGI middleware for the paths under /api/."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if _holds_nul(scope):
            await JSONResponse({"error": {"code": "invalid", "message": MESSAGE}}, status_code=422)(
                scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        tail = b""

        async def watched() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                seen = tail + message.get("body", b"")
                if JSON_ESCAPED_NUL.search(seen):
                    raise HTTPException(422, MESSAGE)  # the route's body reading ends in the error handler
                tail = seen[-_CARRY:]
            return message

        await self.app(scope, watched, send)
