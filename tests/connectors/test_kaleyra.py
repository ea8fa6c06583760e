"""Kaleyra WhatsApp: callback-profile events (inbound messages, statuses) authenticated by the account's
secret, into the running core; sending through the v1 messages API, against a local fake."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from server.connectors.delivery import InboundMedia, StatusUpdate
from server.connectors.kaleyra import KaleyraSender, check_secret, parse
from server.connectors.sending import OutboundFile, OutboundTemplate, Outgoing
from server.errors import Forbidden, Invalid
from server.persistence.models import Attachment, Message, UnroutedInbound
from tests.actors.test_races import wait_until
from tests.connectors.fake_kaleyra import FakeKaleyra
from tests.connectors.fake_providers import Answer
from tests.connectors.provider_core import provider_core

SECRET = "kaleyra-webhook-secret"
BUSINESS = "+919800000001"


@pytest.fixture
def kaleyra_core(tmp_path):
    fake = FakeKaleyra().start()
    with provider_core(tmp_path, key="kaleyra-test", provider="kaleyra", phone_number=BUSINESS,
                       api_base_url=fake.base,
                       credentials={"sid": "HXAP123", "api_key": "A-key-1", "webhook_secret": SECRET}) as (
            core, agent, client):
        yield core, fake, agent, client
    fake.stop()


def incoming(sender: str, kind: str, created_at: str = "1764064800", **fields: str) -> dict[str, str]:
    """Kaleyra's incoming-message callback profile, every variable filled (empty when it does not apply)."""
    event = dict.fromkeys(("body", "mime_type", "media_url", "name", "reply_to", "custom_response", "message",
                           "contacts", "location"), "")
    return event | {"from": sender, "type": kind, "created_at": created_at, "name": "Asha Rao",
                    "wanumber": BUSINESS.lstrip("+"), "mobile": sender} | fields


def status(message_id: str, state: str, **fields: str) -> dict[str, str]:
    """Kaleyra's outgoing-message status callback profile."""
    return {"id": message_id, "status": state, "custom_response": "false", "timestamp": "1764064900",
            "mobile": "919812300009", "phone_number": "919812300009", "message": f"Message {state}", "error": "",
            "error_code": "", "ref": "", "ref1": "", "ref2": ""} | fields


def callback(core, client, event, *, secret: str | None = SECRET, form: bool = False) -> httpx.Response:
    """POST as JSON with the secret in the header, or form-encoded with it in the query string."""
    if form:
        query = f"?{urlencode({'secret': secret})}" if secret is not None else ""
        return core.call(client.post(f"/webhooks/kaleyra/kaleyra-test{query}", content=urlencode(event),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}))
    raw = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"Content-Type": "application/json"} | ({"x-webhook-secret": secret} if secret is not None else {})
    return core.call(client.post("/webhooks/kaleyra/kaleyra-test", content=raw, headers=headers))


def stored(core, phone: str) -> list[tuple[str, str]]:
    return core.call(Message.filter(interaction__customer_phone=phone).order_by("id").values_list("kind", "text"))


def test_inbound_messages_of_each_kind_are_stored_and_routed_and_a_retry_is_a_duplicate(kaleyra_core):
    core, fake, agent, client = kaleyra_core
    first = incoming("919812300001", "text", body="Namaste, my order is late")
    assert callback(core, client, first).json() == {"status": "ok", "stored": 1, "duplicates": 0, "changes": 0,
                                                    "statuses": 0, "unrouted": 0}
    wait_until(lambda: core.call(core.services.agents.offers(agent)))
    location = {"latitude": 18.922, "longitude": 72.8347, "name": "Gateway of India", "address": "Apollo Bandar"}
    shared = [{"name": {"formatted_name": "Ravi Kumar"}, "phones": [{"phone": "+91 98123 00077"}]}]
    for n, event in enumerate([
            incoming("919812300001", "image", body="The parcel", mime_type="image/jpeg",
                     media_url=fake.media_url("parcel.jpg")),
            incoming("919812300001", "voice", mime_type="audio/ogg", media_url=fake.media_url("note.ogg")),
            incoming("919812300001", "document", mime_type="application/pdf",
                     media_url=fake.media_url("invoice%2042.pdf")),
            incoming("919812300001", "location", location=json.dumps(location)),
            incoming("919812300001", "contacts", contacts=json.dumps(shared)),
            incoming("919812300001", "button", body="Talk to an agent"),
            incoming("919812300001", "reaction")]):
        r = callback(core, client, event | {"created_at": str(1764064801 + n)}, form=n % 2 == 1)
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert callback(core, client, first).json()["duplicates"] == 1
    assert callback(core, client, first, form=True).json()["duplicates"] == 1  # the same event, form-encoded
    assert stored(core, "+919812300001") == [
        ("text", "Namaste, my order is late"), ("image", "[image] The parcel"), ("audio", "[audio (voice)]"),
        ("document", "[document] invoice 42.pdf"),
        ("location", "[location] 18.922, 72.8347 (Gateway of India, Apollo Bandar)"),
        ("contacts", "[contacts] Ravi Kumar +91 98123 00077"), ("button", "Talk to an agent"),
        ("unsupported", "[a message type this desk cannot show]")]
    files = Attachment.filter(message__interaction__customer_phone="+919812300001").order_by("id")
    wait_until(lambda: core.call(files.filter(state="stored").count()) == 3, timeout=5)
    assert core.call(files.values_list("filename", "content_type")) == [
        ("parcel.jpg", "image/jpeg"), ("note.ogg", "audio/ogg"), ("invoice 42.pdf", "application/pdf")]
    assert [r["api_key"] for r in fake.media_requests] == [None] * 3  # Kaleyra's links need no credentials


def test_the_same_text_sent_again_later_is_a_new_message(kaleyra_core):
    core, _, _, client = kaleyra_core
    for second in ("1764064800", "1764064860"):
        assert callback(core, client, incoming("919812300002", "text", second, body="ok")).json()["stored"] == 1
    assert stored(core, "+919812300002") == [("text", "ok"), ("text", "ok")]


def test_media_reaches_the_service_as_a_link_with_its_type_and_name(kaleyra_core):
    core, fake, _, _ = kaleyra_core
    url = fake.media_url("parcel.jpg")
    [message], _, _ = parse(json.dumps(incoming("919812300003", "image", mime_type="image/jpeg", media_url=url)).encode(),
                         "application/json")
    assert (message.sender, message.name, message.kind) == ("919812300003", "Asha Rao", "image")
    assert message.media == InboundMedia(url, "image/jpeg", "parcel.jpg")
    sender = KaleyraSender(httpx.AsyncClient())
    account = core.call(core.services.inbound.account("kaleyra-test", "kaleyra"))
    download = core.call(sender.locate_media(account, url))
    assert (download.method, str(download.url), download.headers.get("api-key")) == ("GET", url, None)
    assert core.call(sender.client.send(download)).content.startswith(b"\xff\xd8")
    core.call(sender.client.aclose())


@pytest.mark.parametrize("how", ["missing", "wrong header", "wrong query", "missing from the form"])
def test_a_wrong_or_missing_secret_is_403_and_stores_nothing(kaleyra_core, how):
    core, _, _, client = kaleyra_core
    event = incoming("919812300004", "text", body="forged")
    r = {"missing": lambda: callback(core, client, event, secret=None),
         "wrong header": lambda: callback(core, client, event, secret="guess"),
         "wrong query": lambda: callback(core, client, event, secret="guess", form=True),
         "missing from the form": lambda: callback(core, client, event, secret=None, form=True)}[how]()
    assert r.status_code == 403
    assert stored(core, "+919812300004") == []


def test_an_account_without_a_secret_accepts_no_callback():
    with pytest.raises(Forbidden):
        check_secret({}, {"x-webhook-secret": ""}, {"secret": ""})
    with pytest.raises(Forbidden):
        check_secret({"webhook_secret": "s"}, {"x-webhook-secret": "ś"}, {})
    check_secret({"webhook_secret": "s"}, {}, {"secret": "s"})


def test_a_body_that_is_neither_json_nor_a_form_is_400_with_a_reason_and_stores_nothing(kaleyra_core):
    core, _, _, client = kaleyra_core
    for event in (b"{nope", b"[]", b'"text"'):
        r = callback(core, client, event)
        assert r.status_code == 400 and r.json()["error"]["message"], (event, r.text)
    r = core.call(client.post("/webhooks/kaleyra/kaleyra-test?secret=" + SECRET, content=b"body&&=x",
                              headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert r.status_code == 400 and r.json()["error"]["message"] == "The body is not form-encoded."
    assert stored(core, "+919812300005") == []


def test_an_event_that_names_no_customer_is_acknowledged_and_kept_for_the_admin(kaleyra_core):
    core, _, _, client = kaleyra_core
    for event in ({}, {"status": "read"}, {"id": "x", "status": ""}, {"from": ""},
                  incoming("not-a-number", "text", body="who?")):
        r = callback(core, client, event)
        assert r.status_code == 200 and r.json()["unrouted"] == 1 and r.json()["stored"] == 0, (event, r.text)
    kept = core.call(UnroutedInbound.filter(account__key="kaleyra-test").order_by("id").values_list("reason",
                                                                                                     "payload"))
    assert len(kept) == 5 and all(reason for reason, _ in kept) and '"who?"' in kept[-1][1]


def test_odd_messages_of_a_known_customer_are_stored_as_the_customer_sent_them(kaleyra_core):
    core, _, _, client = kaleyra_core
    no_time = {"from": "919812300005", "type": "text", "body": "no created_at"}
    assert callback(core, client, no_time).json()["stored"] == 1
    assert callback(core, client, no_time).json()["duplicates"] == 1  # the same event again: a retry
    local_file = incoming("919812300005", "image", media_url="file:///etc/passwd")
    assert callback(core, client, local_file).json()["stored"] == 1
    assert stored(core, "+919812300005") == [
        ("text", "no created_at"),
        ("unsupported", "[image] (its file link is not an http(s) URL and was not fetched)")]
    assert core.call(Attachment.filter(message__interaction__customer_phone="+919812300005").count()) == 0


def test_a_get_callback_carries_the_event_in_its_query(kaleyra_core):
    """Kaleyra's callback profile may use GET, with the event's fields as query parameters (its documented
    template: fixtures/kaleyra/incoming_get_query_template.json)."""
    core, _, _, client = kaleyra_core
    query = {"from": "919812300006", "name": "Asha Rao", "type": "text", "body": "sent by GET",
             "created_at": "1764064800", "wanumber": "918000000000", "secret": SECRET}
    r = core.call(client.get("/webhooks/kaleyra/kaleyra-test", params=query))
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert stored(core, "+919812300006") == [("text", "sent by GET")]
    assert core.call(client.get("/webhooks/kaleyra/kaleyra-test", params={**query, "secret": "wrong"})).status_code \
        == 403


def test_statuses_read_as_ours_and_states_we_do_not_track_give_nothing():
    def one(event: dict) -> list[StatusUpdate]:
        messages, statuses, unrouted = parse(json.dumps(event).encode(), "application/json")
        assert messages == [] and unrouted == []
        return statuses

    assert one(status("u-1:0", "DELIVERED")) == [StatusUpdate("u-1:0", "delivered")]
    assert one(status("u-1:0", "failed", error="Message undeliverable", error_code="131026")) == [
        StatusUpdate("u-1:0", "failed", "Message undeliverable (131026)")]
    assert one(status("u-1:0", "not-sent", error="Template not approved")) == [
        StatusUpdate("u-1:0", "failed", "Kaleyra did not send it: Template not approved")]
    assert one(status("u-1:0", "deleted")) == []


def open_interaction(core, agent, phone: str) -> int:
    services = core.services
    account = core.call(services.inbound.account("kaleyra-test", "kaleyra"))
    interaction_id = core.call(services.inbound.receive(account, f"open-{phone}", phone, "hello")).interaction_id
    wait_until(lambda: core.call(services.agents.offers(agent)))
    core.call(services.agents.accept(agent, interaction_id))
    return interaction_id


def test_a_text_reaches_kaleyra_in_its_documented_shape(kaleyra_core):
    core, fake, agent, _ = kaleyra_core
    interaction_id = open_interaction(core, agent, "919812300006")
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "Your order ships today"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    [sent] = fake.requests
    assert (sent["path"], sent["api_key"]) == ("/v1/HXAP123/messages", "A-key-1")
    assert sent["content_type"] == "application/x-www-form-urlencoded"
    assert sent["form"] == {"channel": "whatsapp", "from": BUSINESS, "to": "+919812300006", "type": "text",
                            "body": "Your order ships today"}
    assert core.call(Message.get(id=message_id)).external_key.endswith(":00000000-0000-0000-0000-000000000001:0")


def test_statuses_move_a_message_forward_and_never_back(kaleyra_core):
    core, fake, agent, client = kaleyra_core
    interaction_id = open_interaction(core, agent, "919812300007")
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "track me"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    kaleyra_id = core.call(Message.get(id=message_id)).external_key.split(":", 1)[1]
    for state, moved in (("delivered", 1), ("read", 1), ("delivered", 0), ("sent", 0), ("failed", 0)):
        assert callback(core, client, status(kaleyra_id, state), form=state == "read").json()["statuses"] == moved
    assert core.call(Message.get(id=message_id)).status == "read"


def test_a_failed_status_carries_kaleyras_reason(kaleyra_core):
    core, fake, agent, client = kaleyra_core
    interaction_id = open_interaction(core, agent, "919812300008")
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "are you there?"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    kaleyra_id = core.call(Message.get(id=message_id)).external_key.split(":", 1)[1]
    failed = status(kaleyra_id, "failed", error="Message undeliverable", error_code="131026")
    assert callback(core, client, failed).json()["statuses"] == 1
    message = core.call(Message.get(id=message_id))
    assert (message.status, message.error) == ("failed", "Message undeliverable (131026)")


def test_a_500_is_retried_and_then_sent(kaleyra_core):
    core, fake, agent, _ = kaleyra_core
    interaction_id = open_interaction(core, agent, "919812300009")
    fake.script = [Answer(500, {"code": "WA500", "message": "Internal Server Error", "data": [], "error": {}})]
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "again"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    assert len(fake.requests) == 2 and fake.requests[0]["form"] == fake.requests[1]["form"]


def test_a_refusal_fails_the_message_with_kaleyras_reason(kaleyra_core):
    core, fake, agent, _ = kaleyra_core
    interaction_id = open_interaction(core, agent, "919812300010")
    fake.script = [Answer(400, {"code": "E413", "message": "Invalid/incorrect mobile number", "data": [],
                                "error": {"to": "Invalid/incorrect mobile number"}})]
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "hello?"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "failed", timeout=5)
    assert len(fake.requests) == 1
    assert core.call(Message.get(id=message_id)).error == (
        "Kaleyra: Invalid/incorrect mobile number - to: Invalid/incorrect mobile number (E413)")


def test_media_and_templates_go_out_in_kaleyras_fields(kaleyra_core, tmp_path):
    core, fake, _, _ = kaleyra_core
    account = core.call(core.services.inbound.account("kaleyra-test", "kaleyra"))
    sender = KaleyraSender(httpx.AsyncClient())
    photo = OutboundFile(Path(tmp_path / "p.jpg"), "image/jpeg", "p.jpg", 10, "https://cc.example.com/f/p.jpg?sig=1")
    template = OutboundTemplate("order_update", "en", ["Asha", "12, MG Road", 'the "blue" box'])
    for outgoing in (Outgoing("+919812300011", "Your parcel", file=photo),
                     Outgoing("+919812300011", file=photo),
                     Outgoing("+919812300011", "rendered body", template=template)):
        assert core.call(sender.send(account, outgoing)).endswith(":0")
    core.call(sender.client.aclose())
    base = {"channel": "whatsapp", "from": BUSINESS, "to": "+919812300011"}
    assert [r["form"] for r in fake.requests] == [
        base | {"type": "media", "media_url": photo.link, "caption": "Your parcel"},
        base | {"type": "media", "media_url": photo.link},
        base | {"type": "template", "template_name": "order_update", "lang_code": "en",
                "params": '"Asha","12, MG Road","the ""blue"" box"'}]


def test_parse_refuses_what_is_not_a_kaleyra_event():
    for raw, content_type in ((b"\xff\xfe", "application/json"), (b"\xff=1", "application/x-www-form-urlencoded"),
                              (b"[1]", "application/json")):
        with pytest.raises(Invalid):
            parse(raw, content_type)
    assert parse(b"a=1", "application/x-www-form-urlencoded")[2][0].reason.startswith("Neither")
