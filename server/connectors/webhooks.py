"""Provider webhooks, and the signed links from which providers download our outbound files.

Bad input answers 400 with a reason and stores nothing; an unknown account 404.

They are served by a lean Starlette app of their own, ahead of the REST API's FastAPI stack: a
webhook is the hot path, and FastAPI's per-request machinery (dependencies, middleware, route
matching across the whole API) cost about a third of its CPU time (scripts/bench.py).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from server.api.downloads import file_response
from server.api.errors import ERROR_HANDLERS
from server.connectors import kaleyra, meta, sinch, twilio
from server.connectors.delivery import Unrouted, nul_free_fields, nul_free_json, raw_json
from server.errors import Invalid
from server.persistence.models import Attachment
from server.persistence.credentials import credentials_of


def _bad_request(reason: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "bad_request", "message": reason}}, status_code=400)


async def _delivery(request: Request, provider: str) -> tuple[Any, Any, bytes]:
    """The services, the provider's account named in the path (404 if unknown) and the body (its size
    is capped while it streams in: server/api/body_limits.py)."""
    services = request.app.state.services()
    account = await services.inbound.account(request.path_params["account_key"], provider)
    return services, account, await request.body()


async def _stored(services: Any, account: Any, results: list[Any], statuses: list[Any],
                  unrouted: int = 0) -> JSONResponse:
    """Apply the delivery states, then say what the delivery stored."""
    changed = await services.inbound.apply_statuses(account, [(s.message_id, s.status, s.error) for s in statuses])
    return JSONResponse(_summary(results, changed, unrouted))


def _summary(results: list[Any], statuses: int, apart: int) -> dict[str, Any]:
    """What a delivery became: new messages, retries, changes to earlier messages, delivery states moved,
    and the items kept unrouted (`apart`: those that never became a message)."""
    summary: dict[str, Any] = {"status": "ok", "stored": 0, "duplicates": 0, "changes": 0, "statuses": statuses,
                               "unrouted": apart}
    for result in results:
        summary["duplicates" if result.duplicate else "changes" if result.changed
                else "unrouted" if result.unrouted else "stored"] += 1
    return summary


async def sandbox_inbound(request: Request) -> JSONResponse:
    """`{"id", "from", "text", "name"?}`: a customer's message through the sandbox provider."""
    services, account, raw = await _delivery(request, "sandbox")
    try:
        body = json.loads(nul_free_json(raw))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _bad_request("The body is not JSON.")
    if not isinstance(body, dict):
        return _bad_request("The body must be a JSON object.")
    missing = [k for k in ("id", "from", "text") if not isinstance(body.get(k), str) or not body.get(k)]
    if missing:
        return _bad_request(f"Missing or empty field(s): {', '.join(missing)}.")
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    try:
        result = await services.inbound.receive(account, body["id"], body["from"], body["text"], name=name)
    except Invalid as error:
        return _bad_request(error.message)
    return JSONResponse({"status": "duplicate" if result.duplicate else "stored",
                         "interaction_id": result.interaction_id, "message_id": result.message_id})


async def meta_verification(request: Request) -> PlainTextResponse:
    """Meta's subscription handshake (GET with hub.mode, hub.verify_token, hub.challenge)."""
    account = await request.app.state.services().inbound.account(request.path_params["account_key"], "meta")
    return PlainTextResponse(meta.verify_subscription(credentials_of(account), dict(request.query_params)))


async def meta_inbound(request: Request) -> JSONResponse:
    """Meta's events: the signature is checked on the raw body before anything is read from it. Each change
    goes to the account that has its number (an app's numbers share one callback URL); one for a number no
    account of the app has is kept unrouted, never stored under another account."""
    services, account, raw = await _delivery(request, "meta")
    meta.check_signature(credentials_of(account), raw, request.headers.get("x-hub-signature-256"))
    try:
        changes = meta.parse(nul_free_json(raw))
    except Invalid as error:
        return _bad_request(error.message)
    received = await services.inbound.receive_meta(account, changes)
    return JSONResponse(_summary(received.results, received.statuses, received.apart))


async def _twilio_request(request: Request) -> tuple[Any, Any, dict[str, str]]:
    """The account, services and form fields of a Twilio webhook whose signature checks out."""
    services, account, raw = await _delivery(request, "twilio")
    try:
        fields = dict(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw)))
    except (UnicodeDecodeError, ValueError):
        fields = None
    url = services.settings_values.resolved_public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    twilio.check_signature(credentials_of(account), url, fields or {}, request.headers.get("x-twilio-signature"))
    if fields is None:
        raise Invalid("The body is not form-encoded.")
    return services, account, nul_free_fields(fields)


async def twilio_inbound(request: Request) -> Response:
    try:
        services, account, fields = await _twilio_request(request)
    except Invalid as error:
        return _bad_request(error.message)
    # The whole message (its MediaUrl0 included), so that a file is fetched like any provider's.
    read = twilio.parse_message(fields)
    if isinstance(read, Unrouted):
        await services.inbound.keep_unrouted(account, [read])
        outcome = "unrouted"
    else:
        [result] = await services.inbound.receive_all(account, [read])
        outcome = "unrouted" if result.unrouted else "duplicate" if result.duplicate else "stored"
    # An empty TwiML answer: we reply later, from the agent desk.
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', media_type="text/xml",
                    headers={"X-Stored": outcome})


async def twilio_status(request: Request) -> Response:
    try:
        services, account, fields = await _twilio_request(request)
    except Invalid as error:
        return _bad_request(error.message)
    try:
        update = twilio.parse_status(fields)
    except Invalid as error:  # signed by Twilio, but not a status we can place: kept for the admin
        await services.inbound.keep_unrouted(account, [Unrouted(error.message, raw_json(fields))])
        return Response(status_code=204)
    if update is not None:
        await services.inbound.apply_statuses(account, [(update.message_id, update.status, update.error)])
    return Response(status_code=204)


async def sinch_callback(request: Request) -> Response:
    """Sinch Conversation API callbacks: an inbound message or a delivery report, signed."""
    services, account, raw = await _delivery(request, "sinch")
    sinch.check_signature(credentials_of(account), raw, request.headers)
    try:
        messages, statuses, unrouted = sinch.parse(nul_free_json(raw))
    except Invalid as error:
        return _bad_request(error.message)
    results = await services.inbound.receive_all(account, messages, unrouted)
    return await _stored(services, account, results, statuses, len(unrouted))


async def kaleyra_callback(request: Request) -> Response:
    """Kaleyra's callbacks (inbound messages and delivery states), authenticated by the account's secret: a
    POST with the event as its body, or a GET with the event as its query (a callback profile's method)."""
    services, account, raw = await _delivery(request, "kaleyra")
    kaleyra.check_secret(credentials_of(account), request.headers, request.query_params)
    try:
        if request.method == "GET":
            messages, statuses, unrouted = kaleyra.read_event(
                nul_free_fields({k: v for k, v in request.query_params.items() if k != "secret"}))
        else:
            messages, statuses, unrouted = kaleyra.parse(raw, request.headers.get("content-type", ""))
    except Invalid as error:
        return _bad_request(error.message)
    results = await services.inbound.receive_all(account, messages, unrouted)
    return await _stored(services, account, results, statuses, len(unrouted))


async def provider_media(request: Request) -> Response:
    """An outbound attachment, for the provider to download: the link is signed, no login needed."""
    services = request.app.state.services()
    attachment_id = request.path_params["attachment_id"]
    file = None
    if services.files.token_matches(attachment_id, request.path_params["token"]):
        file = await Attachment.get_or_none(id=attachment_id, state="stored", message__direction="out")
    path = services.files.path_of(file.sha256) if file is not None and file.sha256 is not None else None
    if path is None or not path.is_file():
        return JSONResponse({"error": {"code": "not_found", "message": "There is no such file."}}, status_code=404)
    assert file is not None  # a path is only found for a stored file
    return file_response(path, file.content_type, file.filename, for_provider=True)


def webhook_app(services: Callable[[], Any]) -> Starlette:
    """The webhook endpoints; `services()` gives the running Services."""
    app = Starlette(routes=[Route("/webhooks/sandbox/{account_key}", sandbox_inbound, methods=["POST"]),
                            Route("/webhooks/meta/{account_key}", meta_verification, methods=["GET"]),
                            Route("/webhooks/meta/{account_key}", meta_inbound, methods=["POST"]),
                            Route("/webhooks/twilio/{account_key}", twilio_inbound, methods=["POST"]),
                            Route("/webhooks/twilio/{account_key}/status", twilio_status, methods=["POST"]),
                            Route("/webhooks/sinch/{account_key}", sinch_callback, methods=["POST"]),
                            Route("/webhooks/kaleyra/{account_key}", kaleyra_callback, methods=["GET", "POST"]),
                            Route("/media/{attachment_id:int}/{token}", provider_media, methods=["GET"])],
                    exception_handlers=ERROR_HANDLERS)
    app.state.services = services
    return app
