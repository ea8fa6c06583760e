"""Twilio WhatsApp webhooks over HTTP (SPEC W2, W3): signatures, real form payloads, retries, statuses."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode

import httpx
import pytest

from server.connectors.twilio import signature
from tests.serverproc import Api, ServerProcess

TOKEN = "demo-auth-token"


def test_the_signature_matches_twilios_published_example():
    fields = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    assert signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", fields) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def post(server: ServerProcess, fields: dict[str, str], *, path: str = "/webhooks/twilio/twilio-demo",
         token: str = TOKEN, sign_url: str | None = None, header: str | None = None) -> httpx.Response:
    url = server.base + path
    sig = header if header is not None else signature(token, sign_url or url, fields)
    return httpx.post(url, content=urlencode(fields), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})


def inbound(phone: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": "AC00000000000000000000000000000000",
            "From": f"whatsapp:{phone}", "To": "whatsapp:+15550100003", "NumMedia": "0",
            "ProfileName": "Ana Souza", "WaId": phone.lstrip("+"), **extra}


@pytest.fixture(scope="module")
def sup(demo_server: ServerProcess) -> Api:
    return Api(demo_server.base, "supervisor")


def messages_of(sup: Api, phone: str) -> list[dict]:
    found = sup.get("/interactions", params={"q": phone}).json()["items"]
    return [m for i in found for m in sup.get(f"/interactions/{i['id']}/messages").json()["items"]]


def test_a_signed_message_is_stored_and_answered_with_empty_twiml(demo_server, sup):
    fields = inbound("+5511987650001", Body="Olá, preciso de ajuda")
    r = post(demo_server, fields)
    assert r.status_code == 200 and "<Response></Response>" in r.text
    [row] = sup.get("/interactions", params={"q": "+5511987650001"}).json()["items"]
    assert row["account"] == "twilio-demo" and row["contact"]["name"] == "Ana Souza"
    assert [(m["kind"], m["text"]) for m in messages_of(sup, "+5511987650001")] == [
        ("text", "Olá, preciso de ajuda")]
    again = post(demo_server, fields)  # Twilio retries the same MessageSid
    assert again.status_code == 200 and again.headers["x-stored"] == "duplicate"
    assert len(messages_of(sup, "+5511987650001")) == 1


def test_media_location_and_button_replies_are_stored_with_their_kind(demo_server, sup):
    phone = "+5511987650002"
    for extra in ({"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1",
                   "MediaContentType0": "image/jpeg", "Body": "the receipt"},
                  {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME2",
                   "MediaContentType0": "application/pdf", "Body": ""},
                  {"Latitude": "-23.55", "Longitude": "-46.63", "Address": "Av. Paulista", "Body": ""},
                  {"ButtonText": "Yes, call me", "ButtonPayload": "yes", "Body": "Yes, call me"}):
        assert post(demo_server, inbound(phone, **extra)).status_code == 200
    assert [(m["kind"], m["text"]) for m in messages_of(sup, phone)] == [
        ("image", "[image] the receipt"), ("document", "[document]"),
        ("location", "[location] -23.55, -46.63 (Av. Paulista)"), ("button", "Yes, call me")]


@pytest.mark.parametrize("how", ["missing", "wrong token", "other url", "tampered"])
def test_a_bad_signature_is_403_and_stores_nothing(demo_server, sup, how):
    phone = "+5511987650003"
    fields = inbound(phone, Body="forged")
    if how == "missing":
        r = post(demo_server, fields, header="")
    elif how == "wrong token":
        r = post(demo_server, fields, token="not-the-token")
    elif how == "other url":
        r = post(demo_server, fields, sign_url="https://evil.example/webhooks/twilio/twilio-demo")
    else:
        sig = signature(TOKEN, demo_server.base + "/webhooks/twilio/twilio-demo", fields)
        r = post(demo_server, {**fields, "Body": "changed"}, header=sig)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert messages_of(sup, phone) == []


def test_a_signed_request_that_names_no_customer_is_acknowledged_and_kept_apart(demo_server):
    r = post(demo_server, {"Body": "no sid, no sender"})
    assert r.status_code == 200 and r.headers["X-Stored"] == "unrouted"
    status = post(demo_server, {"MessageSid": "SMx"}, path="/webhooks/twilio/twilio-demo/status")
    assert status.status_code == 204
    admin = Api(demo_server.base, "admin")
    reasons = [i["reason"] for i in admin.get("/admin/unrouted", params={"account": "twilio-demo"}).json()["items"]]
    assert "A message lacks From." in reasons and "MessageSid and MessageStatus are required." in reasons


def test_unknown_accounts_are_404(demo_server):
    assert post(demo_server, inbound("+5511987650004"), path="/webhooks/twilio/nobody").status_code == 404


def test_status_callbacks_are_acknowledged_even_for_messages_we_do_not_know(demo_server):
    r = post(demo_server, {"MessageSid": "SMunknown", "MessageStatus": "delivered"},
             path="/webhooks/twilio/twilio-demo/status")
    assert r.status_code == 204
