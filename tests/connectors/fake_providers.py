"""Local fakes of the providers' send APIs, on loopback, with scripted answers."""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.serverproc import free_port


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout when longer than the client waits)


class FakeGraph:
    """The Graph API's messages, media upload and media download (a media id resolves to a URL under
    /files/, served from `files`, after the answers in `download_script`)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/v21.0"
        self.requests: list[dict[str, Any]] = []  # path, authorization, json, at (monotonic)
        self.script: list[Answer] = []  # answers to give in order; then 200 with a fresh id
        self.answers_for: dict[str, Answer] = {}  # messages to a number ("to", without +): always this answer
        self.uploads: list[dict[str, Any]] = []  # form fields, file name, type and bytes
        self.files: dict[str, tuple[bytes, str]] = {}  # media id -> (content, content type)
        self.download_script: list[Answer] = []
        self.downloads: list[dict[str, Any]] = []  # path, authorization
        self._count = 0
        app = Starlette(routes=[Route("/v21.0/{phone_number_id}/messages", self._messages, methods=["POST"]),
                                Route("/v21.0/{phone_number_id}/media", self._upload, methods=["POST"]),
                                Route("/v21.0/{media_id}", self._media_url, methods=["GET"]),
                                Route("/files/{media_id}", self._download, methods=["GET"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> FakeGraph:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    async def _messages(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append({"path": request.url.path, "authorization": request.headers.get("authorization"),
                              "json": body, "at": time.monotonic()})
        answer = self.answers_for.get(str(body.get("to"))) or (self.script.pop(0) if self.script else Answer())
        if answer.delay:
            await asyncio.sleep(answer.delay)
        self._count += 1
        body = answer.body if answer.body is not None else {
            "messaging_product": "whatsapp", "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": f"wamid.fake{self._count}"}]}
        return JSONResponse(body, status_code=answer.status, headers=answer.headers)


    async def _upload(self, request: Request) -> JSONResponse:
        form = await request.form()
        upload = form["file"]
        self.uploads.append({"authorization": request.headers.get("authorization"),
                             "fields": {k: v for k, v in form.items() if k != "file"},
                             "filename": upload.filename, "content_type": upload.content_type,
                             "content": await upload.read()})
        return JSONResponse({"id": f"media-up-{len(self.uploads)}"})

    async def _media_url(self, request: Request) -> JSONResponse:
        media_id = request.path_params["media_id"]
        if media_id not in self.files:
            return JSONResponse({"error": {"message": "Unknown media", "code": 100}}, status_code=404)
        content, content_type = self.files[media_id]
        return JSONResponse({"url": f"http://127.0.0.1:{self.port}/files/{media_id}", "mime_type": content_type,
                             "file_size": len(content), "id": media_id, "messaging_product": "whatsapp"})

    async def _download(self, request: Request) -> Response:
        self.downloads.append({"path": request.url.path, "authorization": request.headers.get("authorization")})
        if self.download_script:
            answer = self.download_script.pop(0)
            return JSONResponse(answer.body or {}, status_code=answer.status, headers=answer.headers)
        content, content_type = self.files[request.path_params["media_id"]]
        return Response(content, media_type=content_type)


class FakeTwilio(FakeGraph):
    """POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, basic auth; answers 201 with a sid."""

    def __init__(self) -> None:
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}/2010-04-01"
        app = Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self._create, methods=["POST"]),
                                Route("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media_id}",
                                      self._download, methods=["GET"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _create(self, request: Request) -> JSONResponse:
        form = await request.form()
        self.requests.append({"path": request.url.path, "authorization": request.headers.get("authorization"),
                              "form": dict(form), "at": time.monotonic()})
        answer = self.script.pop(0) if self.script else Answer(201)
        self._count += 1
        body = answer.body if answer.body is not None else {"sid": f"SMfake{self._count}", "status": "queued"}
        return JSONResponse(body, status_code=answer.status, headers=answer.headers)


class FakeSinch(FakeGraph):
    """Sinch's OAuth2 token endpoint, the Conversation API's messages:send, and files customers sent (a
    plain link, as Sinch hands them over)."""

    def __init__(self) -> None:
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.base}/oauth2/token"
        self.tokens_issued = 0
        app = Starlette(routes=[Route("/oauth2/token", self._token, methods=["POST"]),
                                Route("/v1/projects/{project}/messages:send", self._send, methods=["POST"]),
                                Route("/files/{media_id}", self._download, methods=["GET"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _token(self, request: Request) -> JSONResponse:
        self.tokens_issued += 1
        form = await request.form()
        assert form.get("grant_type") == "client_credentials"
        return JSONResponse({"access_token": f"tok-{self.tokens_issued}", "expires_in": 3600})

    async def _send(self, request: Request) -> JSONResponse:
        self.requests.append({"path": request.url.path, "authorization": request.headers.get("authorization"),
                              "json": await request.json(), "at": time.monotonic()})
        answer = self.script.pop(0) if self.script else Answer()
        self._count += 1
        body = answer.body if answer.body is not None else {"message_id": f"01SINCH{self._count}",
                                                             "accepted_time": "2026-11-25T10:00:00Z"}
        return JSONResponse(body, status_code=answer.status, headers=answer.headers)
