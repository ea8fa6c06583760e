"""A loopback fake of the Graph API's message template endpoints of one WhatsApp Business Account:
`GET /v21.0/{waba}/message_templates` pages through `templates` (`page_size` a page, `paging.next` an
absolute URL with `after`), `POST` records the submitted template. `script` answers first, in order."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.connectors.fake_providers import Answer
from tests.serverproc import free_port


class FakeTemplateGraph:
    def __init__(self, page_size: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/v21.0"
        self.templates: list[dict[str, Any]] = []
        self.page_size = page_size
        self.next_base = self.base  # where `paging.next` points (another host, to test that it is not followed)
        self.requests: list[dict[str, Any]] = []  # method, path, query, authorization, json
        self.script: list[Answer] = []
        self._created = 0
        app = Starlette(routes=[Route("/v21.0/{waba}/message_templates", self._handle, methods=["GET", "POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> FakeTemplateGraph:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    async def _handle(self, request: Request) -> JSONResponse:
        body = await request.json() if request.method == "POST" else None
        self.requests.append({"method": request.method, "path": request.url.path, "query": dict(request.query_params),
                              "authorization": request.headers.get("authorization"), "json": body})
        if self.script:
            answer = self.script.pop(0)
            if answer.delay:
                await asyncio.sleep(answer.delay)
            return JSONResponse(answer.body or {}, status_code=answer.status, headers=answer.headers)
        if request.method == "POST":
            self._created += 1
            return JSONResponse({"id": f"10{self._created:04d}", "status": "PENDING", "category": body["category"]})
        start = int(request.query_params.get("after", "0"))
        page: dict[str, Any] = {"data": self.templates[start:start + self.page_size]}
        if start + self.page_size < len(self.templates):
            waba = request.path_params["waba"]
            page["paging"] = {"cursors": {"after": str(start + self.page_size)},
                              "next": f"{self.next_base}/{waba}/message_templates?limit={self.page_size}"
                                      f"&after={start + self.page_size}"}
        return JSONResponse(page)


def meta_template(name: str, body: str, *, status: str = "APPROVED", language: str = "en_US",
                  category: str = "UTILITY", template_id: str = "", reason: str = "NONE",
                  extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One template as Meta lists it."""
    return {"name": name, "language": language, "status": status, "category": category,
            "id": template_id or f"9{abs(hash(name)) % 10**8}", "rejected_reason": reason,
            "components": [{"type": "BODY", "text": body}, *(extra or [])]}
