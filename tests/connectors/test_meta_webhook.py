"""Meta Cloud API webhooks over HTTP (SPEC W2, W3): the handshake, signatures, real payloads, retries."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx
import pytest

from tests.serverproc import Api, ServerProcess

SECRET = b"demo-app-secret"


def signed_post(server: ServerProcess, payload: object, *, secret: bytes = SECRET, account: str = "meta-demo",
                signature: str | None = None) -> httpx.Response:
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    header = signature if signature is not None else "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{server.base}/webhooks/meta/{account}", content=raw,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": header})


def delivery(*changes: dict) -> dict:
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]} for value in changes]}


def value(wa_id: str, name: str, *messages: dict) -> dict:
    return {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100002",
                                                           "phone_number_id": "100000000000001"},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": "1764100000", **m}
                         for m in messages]}


@pytest.fixture(scope="module")
def sup(demo_server: ServerProcess) -> Api:
    return Api(demo_server.base, "supervisor")


def messages_of(sup: Api, phone: str) -> list[dict]:
    found = sup.get("/interactions", params={"q": phone, "page_size": 50}).json()["items"]
    return [m for i in found for m in sup.get(f"/interactions/{i['id']}/messages").json()["items"]]


def test_the_subscription_handshake_echoes_the_challenge(demo_server: ServerProcess) -> None:
    url = f"{demo_server.base}/webhooks/meta/meta-demo"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "demo-verify-token",
                                "hub.challenge": "8841"})
    assert ok.status_code == 200 and ok.text == "8841"
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": "demo-verify-token", "hub.challenge": "1"}, {}):
        r = httpx.get(url, params=params)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert httpx.get(f"{demo_server.base}/webhooks/meta/nobody", params={"hub.mode": "subscribe"}).status_code == 404


def test_a_signed_text_message_opens_an_interaction_with_the_profile_name(demo_server, sup) -> None:
    r = signed_post(demo_server, delivery(value("393471110001", "Giulia Bianchi", {"type": "text",
                                                                                   "text": {"body": "Ciao!"}})))
    assert r.status_code == 200 and r.json()["stored"] == 1
    [row] = sup.get("/interactions", params={"q": "+393471110001"}).json()["items"]
    # the demo's contact trigger saved the customer as a contact
    assert row["contact"]["id"] and row["contact"] == {"id": row["contact"]["id"], "name": "Giulia Bianchi",
                                                       "phone": "+393471110001", "phone_kind": "e164"}
    assert row["account"] == "meta-demo" and row["queue"] == "WhatsAppConn1"
    assert [m["text"] for m in messages_of(sup, "+393471110001")] == ["Ciao!"]


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc", "sha256=" + "f" * 63])
def test_a_forged_or_missing_signature_is_403_and_stores_nothing(demo_server, sup, signature: str) -> None:
    payload = delivery(value("393471110002", "Forger", {"type": "text", "text": {"body": "x"}}))
    r = signed_post(demo_server, payload, signature=signature)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert signed_post(demo_server, payload, secret=b"another-secret").status_code == 403
    assert messages_of(sup, "+393471110002") == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", json.dumps({"entry": "nope"}).encode(), b'{"entry": 1}'])
def test_a_malformed_signed_body_is_400_with_a_reason(demo_server, body: bytes) -> None:
    r = signed_post(demo_server, body)
    assert r.status_code == 400 and r.json()["error"]["message"]


def test_a_batch_of_entries_and_message_types_is_stored_whole_and_a_retry_adds_nothing(demo_server, sup) -> None:
    payload = delivery(
        value("393471110003", "Marco", {"type": "text", "text": {"body": "I need help"}},
              {"type": "image", "image": {"id": "m1", "mime_type": "image/jpeg", "caption": "the receipt"}},
              {"type": "audio", "audio": {"id": "m2", "mime_type": "audio/ogg", "voice": True}},
              {"type": "location", "location": {"latitude": 45.46, "longitude": 9.19, "name": "Duomo"}}),
        value("393471110004", "Sara",
              {"type": "contacts", "contacts": [{"name": {"formatted_name": "Luca Verdi"},
                                                 "phones": [{"phone": "+39 333 123 4567"}]}]},
              {"type": "interactive", "interactive": {"type": "button_reply",
                                                      "button_reply": {"id": "yes", "title": "Yes, please"}}},
              {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
              {"type": "document", "document": {"id": "m3", "filename": "invoice.pdf"}}))
    first = signed_post(demo_server, payload)
    assert first.status_code == 200 and first.json() == {"status": "ok", "stored": 8, "duplicates": 0, "changes": 0,
                                                 "statuses": 0, "unrouted": 0}
    marco = messages_of(sup, "+393471110003")
    assert [(m["kind"], m["text"]) for m in marco] == [
        ("text", "I need help"), ("image", "[image] the receipt"), ("audio", "[audio (voice)]"),
        ("location", "[location] 45.46, 9.19 (Duomo)")]
    sara = messages_of(sup, "+393471110004")
    assert [(m["kind"], m["text"]) for m in sara] == [
        ("contacts", "[contacts] Luca Verdi +39 333 123 4567"), ("interactive", "Yes, please"),
        ("reaction", "[reaction] 👍"), ("document", "[document] invoice.pdf")]
    retry = signed_post(demo_server, payload)
    assert retry.status_code == 200 and retry.json() == {"status": "ok", "stored": 0, "duplicates": 8, "changes": 0,
                                                 "statuses": 0, "unrouted": 0}
    assert len(messages_of(sup, "+393471110003")) == 4


def test_a_delivery_with_only_statuses_is_acknowledged(demo_server) -> None:
    payload = delivery({"messaging_product": "whatsapp", "statuses": [
        {"id": "wamid.unknown", "status": "delivered", "timestamp": "1764100000", "recipient_id": "393471110005"}]})
    r = signed_post(demo_server, payload)
    assert r.status_code == 200 and r.json()["stored"] == 0


def test_a_body_over_the_limit_is_refused_with_413(demo_server) -> None:
    payload = delivery(value("393471110009", "Big", {"type": "text", "text": {"body": "x" * (1024 * 1024)}}))
    r = signed_post(demo_server, payload)
    assert r.status_code == 413 and "larger than 1024 KB" in r.json()["error"]["message"]
