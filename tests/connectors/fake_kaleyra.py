"""A local fake of Kaleyra's v1 send API (`POST /v1/{sid}/messages`, form-encoded, `api-key` header) with
scripted answers, and a file server standing in for the storage Kaleyra's inbound media links point to."""
from __future__ import annotations

import threading
import time
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.connectors.fake_providers import Answer, FakeGraph


class FakeKaleyra(FakeGraph):
    """Records each send (path, api-key, content type, form); answers from `script`, then 200 with a new id."""

    def __init__(self) -> None:
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"
        self.media_requests: list[dict[str, str | None]] = []  # path, api-key
        app = Starlette(routes=[Route("/v1/{sid}/messages", self._send, methods=["POST"]),
                                Route("/media/{name}", self._media, methods=["GET"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def media_url(self, name: str) -> str:
        return f"{self.base}/media/{name}"

    async def _send(self, request: Request) -> JSONResponse:
        form = await request.form()
        self.requests.append({"path": request.url.path, "api_key": request.headers.get("api-key"),
                              "content_type": request.headers.get("content-type"), "form": dict(form),
                              "at": time.monotonic()})
        answer = self.script.pop(0) if self.script else Answer()
        self._count += 1
        request_id = str(uuid.UUID(int=self._count))
        body = answer.body if answer.body is not None else {
            "id": request_id, "sid": request.path_params["sid"], "channel": "whatsapp", "from": form.get("from"),
            "type": form.get("type"), "createdDateTime": "2026-11-25 10:00:00", "totalCount": 1,
            "data": [{"message_id": f"{request_id}:0", "recipient": form.get("to")}], "error": {}}
        return JSONResponse(body, status_code=answer.status, headers=answer.headers)

    async def _media(self, request: Request) -> Response:
        self.media_requests.append({"path": request.url.path, "api_key": request.headers.get("api-key")})
        return Response(b"\xff\xd8\xff fake jpeg", media_type="image/jpeg")
