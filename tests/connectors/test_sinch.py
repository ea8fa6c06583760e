"""Sinch Conversation API: signed callbacks (inbound and delivery reports) into the running core, and
sending through messages:send with an OAuth2 token, against a local fake."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from server.connectors.sinch import signature
from server.persistence.models import Attachment, Message, Template, UnroutedInbound
from tests.actors.test_races import wait_until
from tests.connectors.fake_providers import Answer, FakeSinch
from tests.connectors.provider_core import provider_core
from tests.connectors.test_media import StreamedFile

SECRET = "sinch-webhook-secret"


@pytest.fixture
def sinch_core(tmp_path):
    fake = FakeSinch().start()
    with provider_core(tmp_path, key="sinch-test", provider="sinch", api_base_url=fake.base, credentials={
            "project_id": "proj-1", "app_id": "app-1", "key_id": "key", "key_secret": "ks",
            "webhook_secret": SECRET, "auth_url": fake.auth_url}) as (core, agent, client):
        yield core, fake, agent, client
    fake.stop()


def callback(core, client, payload, *, secret: str = SECRET, nonce: str = "n-1", timestamp: str = "1764100000",
             sig: str | None = None) -> httpx.Response:
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    headers = {"Content-Type": "application/json", "x-sinch-webhook-signature-nonce": nonce,
               "x-sinch-webhook-signature-timestamp": timestamp,
               "x-sinch-webhook-signature": sig if sig is not None else signature(secret, raw, nonce, timestamp)}
    return core.call(client.post("/webhooks/sinch/sinch-test", content=raw, headers=headers))


def inbound(identity: str, content: dict, message_id: str | None = None) -> dict:
    return {"app_id": "app-1", "project_id": "proj-1", "accepted_time": "2026-11-25T10:00:00Z",
            "message": {"id": message_id or f"01IN{uuid.uuid4().hex[:20]}", "direction": "TO_APP",
                        "contact_message": content, "contact_name": "Lena Berg",
                        "channel_identity": {"channel": "WHATSAPP", "identity": identity, "app_id": "app-1"},
                        "conversation_id": "c1", "contact_id": "k1"}}


def stored(core, phone: str) -> list[tuple[str, str]]:
    return core.call(Message.filter(interaction__customer_phone=phone).order_by("id").values_list("kind", "text"))


def test_signed_inbound_messages_of_each_kind_are_stored_and_a_retry_is_a_duplicate(sinch_core):
    core, _, _, client = sinch_core
    first = inbound("46732000001", {"text_message": {"text": "Hej!"}}, "01FIRST")
    assert callback(core, client, first).json() == {"status": "ok", "stored": 1, "duplicates": 0, "changes": 0,
                                                    "statuses": 0, "unrouted": 0}
    for content in ({"media_message": {"url": "https://x/y.jpg", "mime_type": "image/jpeg"}},
                    {"location_message": {"coordinates": {"latitude": 59.33, "longitude": 18.06},
                                          "title": "Stockholm"}},
                    {"choice_response_message": {"message_id": "m", "postback_data": "yes"}}):
        assert callback(core, client, inbound("46732000001", content)).status_code == 200
    assert callback(core, client, first).json()["duplicates"] == 1
    assert stored(core, "+46732000001") == [("text", "Hej!"), ("image", "[image]"),
                                            ("location", "[location] 59.33, 18.06 (Stockholm)"),
                                            ("button", "yes")]


@pytest.mark.parametrize("how", ["missing", "wrong secret", "other nonce", "tampered"])
def test_a_bad_signature_is_403_and_stores_nothing(sinch_core, how):
    core, _, _, client = sinch_core
    payload = inbound("46732000002", {"text_message": {"text": "forged"}})
    if how == "missing":
        r = callback(core, client, payload, sig="")
    elif how == "wrong secret":
        r = callback(core, client, payload, secret="other")
    elif how == "other nonce":
        raw = json.dumps(payload).encode()
        r = callback(core, client, raw, sig=signature(SECRET, raw, "n-2", "1764100000"))
    else:
        raw = json.dumps(payload).encode()
        r = callback(core, client, raw.replace(b"forged", b"change"), sig=signature(SECRET, raw, "n-1", "1764100000"))
    assert r.status_code == 403
    assert stored(core, "+46732000002") == []


def test_a_signed_callback_that_is_not_a_json_object_is_400(sinch_core):
    core, _, _, client = sinch_core
    for payload in (b"{nope", b"[]", b"1"):
        r = callback(core, client, payload)
        assert r.status_code == 400 and r.json()["error"]["message"]


def test_a_signed_callback_that_names_no_customer_is_acknowledged_and_kept_for_the_admin(sinch_core):
    core, _, _, client = sinch_core
    for payload in ({"message": {"id": "x"}}, {"message_delivery_report": {"status": "READ"}}, {"message": 3}):
        r = callback(core, client, payload)
        assert r.status_code == 200 and r.json()["unrouted"] == 1 and r.json()["stored"] == 0, r.text
    assert core.call(UnroutedInbound.filter(account__key="sinch-test").count()) == 3


def test_sending_uses_an_oauth2_token_refreshed_once_when_refused_and_reports_move_forward(sinch_core):
    core, fake, agent, client = sinch_core
    services = core.services
    interaction_id = core.call(services.inbound.receive(
        core.call(services.inbound.account("sinch-test", "sinch")), "01OPEN", "46732000003", "hello")).interaction_id
    wait_until(lambda: core.call(services.agents.offers(agent)))
    core.call(services.agents.accept(agent, interaction_id))
    fake.script = [Answer(401, {"error": {"code": 401, "message": "expired", "status": "UNAUTHENTICATED"}})]
    message_id = core.call(services.interactions.send_text(agent, interaction_id, "Hej från oss"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    assert fake.tokens_issued == 2 and [r["authorization"] for r in fake.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert fake.requests[-1]["path"] == "/v1/projects/proj-1/messages:send"
    assert fake.requests[-1]["json"] == {
        "app_id": "app-1", "recipient": {"identified_by": {"channel_identities": [
            {"channel": "WHATSAPP", "identity": "46732000003"}]}}, "message": {"text_message": {"text": "Hej från oss"}}}
    sinch_id = core.call(Message.get(id=message_id)).external_key.split(":", 1)[1]
    for status in ("DELIVERED", "READ", "DELIVERED"):
        report = {"app_id": "app-1", "message_delivery_report": {"message_id": sinch_id, "status": status}}
        assert callback(core, client, report).status_code == 200
    assert core.call(Message.get(id=message_id)).status == "read"
    failed = {"message_delivery_report": {"message_id": sinch_id, "status": "FAILED",
                                          "reason": {"code": "RECIPIENT_NOT_REACHABLE", "description": "gone"}}}
    assert callback(core, client, failed).json()["statuses"] == 0  # read stays read


def test_files_go_as_links_to_us_and_templates_as_whatsapp_channel_templates(sinch_core):
    core, fake, agent, client = sinch_core
    services = core.services
    account = core.call(services.inbound.account("sinch-test", "sinch"))
    interaction_id = core.call(services.inbound.receive(account, "01MEDIA", "46732000004", "hi")).interaction_id
    wait_until(lambda: core.call(services.agents.offers(agent)))
    core.call(services.agents.accept(agent, interaction_id))
    bare = core.call(services.interactions.send_file(agent, interaction_id,
                                                     StreamedFile("a.pdf", "application/pdf", 900)))
    captioned = core.call(services.interactions.send_file(
        agent, interaction_id, StreamedFile("b.png", "image/png", 900, fields={"text": "Se här"})))
    core.call(Template.create(name="sv_hello", language="sv", body="Hej {{1}}!", provider_ids={"sinch": "tmpl-77"}))
    template = core.call(services.interactions.send_template(agent, interaction_id, "sv_hello", ["Lena"]))
    for message in (bare, captioned, template):
        wait_until(lambda m=message: core.call(Message.get(id=m["id"])).status == "sent", timeout=5)
    media, card, shaped = (r["json"]["message"] for r in fake.requests[-3:])
    link = media["media_message"]["url"]
    assert link.startswith(f"{core.settings.resolved_public_url}/media/") and media["media_message"][
        "filename_override"] == "a.pdf"
    assert card["media_card_message"]["caption"] == "Se här" and card["media_card_message"]["url"].startswith(
        f"{core.settings.resolved_public_url}/media/")
    assert shaped == {"template_message": {"channel_template": {"WHATSAPP": {
        "template_id": "tmpl-77", "language_code": "sv", "parameters": {"body[1]text": "Lena"}}}}}
    served = core.call(client.get(link.removeprefix(core.settings.resolved_public_url)))
    assert served.status_code == 200 and len(served.content) == 900


FIXTURES = Path(__file__).parent / "fixtures" / "sinch"  # sources: fixtures/SOURCES-other-providers.md


def published(name: str, identity: str, url: str | None = None) -> dict:
    """A callback as Sinch documents it, for `identity`, with a fresh message id (and the file at `url`)."""
    payload = json.loads((FIXTURES / f"{name}.json").read_text())
    message = payload["message"]
    message["id"] = f"01PUB{uuid.uuid4().hex[:20]}"
    message["channel_identity"]["identity"] = identity
    for media in message["contact_message"].values():
        if url is not None and "url" in media:
            media["url"] = url
    return payload


def test_published_callbacks_are_stored_with_the_customers_time(sinch_core):
    core, _, _, client = sinch_core
    times = []
    for name in ("inbound_text_whatsapp_docs", "inbound_location_whatsapp_docs",
                 "inbound_choice_response_whatsapp_docs"):
        payload = published(name, "46732000011")
        times.append(datetime.fromisoformat(payload["message"]["accept_time"].replace("Z", "+00:00")))
        assert callback(core, client, payload).json()["stored"] == 1, name
    rows = core.call(Message.filter(interaction__customer_phone="+46732000011").values_list("kind", "sent_at"))
    assert sorted(rows, key=lambda r: r[1]) == sorted(zip(["text", "location", "button"], times), key=lambda r: r[1])


def test_untyped_media_is_typed_by_the_fetched_file_and_a_media_card_keeps_its_caption(sinch_core):
    core, fake, _, client = sinch_core
    fake.files["logo"] = (b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    link = f"{fake.base}/files/logo"  # no extension: only the file says what it is
    assert callback(core, client, published("inbound_media_whatsapp_docs", "46732000022", link)).json()["stored"] == 1
    card = published("inbound_media_card_whatsapp_docs", "46732000022", link + "?card")
    assert callback(core, client, card).json()["stored"] == 1
    files = Attachment.filter(message__interaction__customer_phone="+46732000022")
    wait_until(lambda: core.call(files.filter(state="stored").count()) == 2, timeout=5)
    assert stored(core, "+46732000022") == [("image", "[image] logo"), ("image", "[image] caption text")]
    assert core.call(files.values_list("content_type", flat=True)) == ["image/png", "image/png"]


def test_a_published_fallback_or_unknown_content_is_kept_visible_with_its_raw_callback(sinch_core):
    core, _, _, client = sinch_core
    fallback = json.loads((FIXTURES / "sdk_contact_message_fallback.json").read_text())
    payload = inbound("46732000033", fallback)
    assert callback(core, client, payload).json()["stored"] == 1
    [(kind, text, raw)] = core.call(Message.filter(interaction__customer_phone="+46732000033").values_list(
        "kind", "text", "payload"))
    assert kind == "unsupported" and text.startswith("[a message this desk cannot show]")
    assert json.loads(raw)["message"]["id"] == payload["message"]["id"]
