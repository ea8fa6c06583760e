"""Webhook routes. Bad input answers 400 with a reason and stores nothing; an unknown account 404."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.errors import Invalid, ProductError

router = APIRouter(prefix="/webhooks")

MAX_TEXT = 4096  # WhatsApp's own limit for a text message
MAX_BODY = 64 * 1024


def _bad_request(reason: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "bad_request", "message": reason}}, status_code=400)


@router.post("/sandbox/{account_key}")
async def sandbox_inbound(account_key: str, request: Request) -> Any:
    """`{"id", "from", "text", "name"?}`: a customer's message through the sandbox provider."""
    services = request.app.state.services
    account = await services.inbound.account(account_key, "sandbox")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _bad_request(f"The body is larger than {MAX_BODY // 1024} KB.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _bad_request("The body is not JSON.")
    if not isinstance(body, dict):
        return _bad_request("The body must be a JSON object.")
    missing = [k for k in ("id", "from", "text") if not isinstance(body.get(k), str) or not body.get(k)]
    if missing:
        return _bad_request(f"Missing or empty field(s): {', '.join(missing)}.")
    if len(body["text"]) > MAX_TEXT:
        return _bad_request(f"The text is limited to {MAX_TEXT} characters.")
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    try:
        result = await services.inbound.receive(account, body["id"], body["from"], body["text"], name=name)
    except Invalid as error:
        return _bad_request(error.message)
    except ProductError:
        raise
    return {"status": "duplicate" if result.duplicate else "stored", "interaction_id": result.interaction_id,
            "message_id": result.message_id}
