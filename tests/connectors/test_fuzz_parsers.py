"""Fuzzing the provider parsers (hypothesis): any body is parsed or refused with a reason (400), never a
server error; a refused body stores nothing."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.connectors import meta, sinch, twilio
from server.errors import Invalid
from tests.serverproc import Api, ServerProcess

pytestmark = pytest.mark.fuzz  # run by .ci/run after the README suite (see pyproject.toml)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
message_types = st.sampled_from(["text", "image", "audio", "video", "document", "sticker", "location", "contacts",
                                 "interactive", "button", "reaction", "unknown", ""])
senders = st.one_of(st.sampled_from(["393471230001", "393471230002", "15550001111"]), st.text(max_size=15))


@st.composite
def meta_payloads(draw):
    """Mostly the real shape, with any value anywhere."""
    def message():
        kind = draw(message_types)
        return {"from": draw(senders), "id": draw(st.text(max_size=30) | st.just(f"wamid.{uuid.uuid4().hex}")),
                "type": kind, kind or "x": draw(json_values | st.fixed_dictionaries({"body": st.text(max_size=30)}))}

    value = {"contacts": draw(st.lists(st.fixed_dictionaries({"wa_id": senders, "profile": json_values}),
                                       max_size=2)),
             "messages": [message() for _ in range(draw(st.integers(0, 3)))],
             "statuses": draw(st.lists(json_values, max_size=2))}
    if draw(st.booleans()):
        value[draw(st.sampled_from(["contacts", "messages", "statuses"]))] = draw(json_values)
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    return draw(st.sampled_from([payload, payload, {"entry": draw(json_values)}, draw(json_values)]))


@given(meta_payloads())
@settings(max_examples=400, deadline=None)
def test_the_meta_parser_reads_or_refuses_any_body(payload):
    raw = json.dumps(payload).encode()
    try:
        meta.parse(raw)
    except Invalid:
        pass


@given(st.dictionaries(st.sampled_from(["MessageSid", "From", "Body", "NumMedia", "MediaContentType0",
                                        "Latitude", "Longitude", "ButtonText", "MessageStatus", "ErrorCode"]),
                       st.text(max_size=20) | st.sampled_from(["1", "²", "12", "-1"])))
@settings(max_examples=400, deadline=None)
def test_the_twilio_parsers_read_or_refuse_any_form(fields):
    for parse in (twilio.parse_message, twilio.parse_status):
        try:
            parse(fields)
        except Invalid:
            pass


@pytest.fixture(scope="module")
def sup(demo_server: ServerProcess) -> Api:
    return Api(demo_server.base, "supervisor")


@given(payload=meta_payloads())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_signed_meta_body_gets_200_or_400_and_a_refused_batch_stores_nothing(demo_server, sup, payload):
    marker = uuid.uuid4().hex
    messages = ((payload.get("entry") or [{}])[0].get("changes", [{}])[0].get("value", {}).get("messages")
                if isinstance(payload, dict) and isinstance(payload.get("entry"), list) and payload["entry"]
                and isinstance(payload["entry"][0], dict) and isinstance(payload["entry"][0].get("changes"), list)
                and payload["entry"][0]["changes"] and isinstance(payload["entry"][0]["changes"][0], dict)
                and isinstance(payload["entry"][0]["changes"][0].get("value"), dict) else None)
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict) and isinstance(message.get("id"), str):
                message["id"] = f"{marker}-{message['id']}"[:140]
    raw = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(b"demo-app-secret", raw, hashlib.sha256).hexdigest()
    r = httpx.post(f"{demo_server.base}/webhooks/meta/meta-demo", content=raw,
                   headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["error"]["message"]
        stored = httpx.get(f"{demo_server.base}/api/v1/interactions", params={"q": marker},
                           headers=sup.client.headers).json()["total"]
        assert stored == 0


@st.composite
def sinch_payloads(draw):
    """Sinch callbacks: an inbound message of any content kind, a delivery report, or anything at all."""
    content_kind = draw(st.sampled_from(["text_message", "media_message", "location_message",
                                         "choice_response_message", "other"]))
    message = {"id": draw(st.text(max_size=30)), "direction": draw(st.sampled_from(["TO_APP", "TO_CONTACT", None])),
               "channel_identity": draw(st.fixed_dictionaries({"identity": senders}) | json_values),
               "contact_message": {content_kind: draw(json_values)}, "contact_name": draw(json_values)}
    report = {"message_id": draw(st.text(max_size=20) | json_values),
              "status": draw(st.sampled_from(["DELIVERED", "READ", "FAILED", "QUEUED_ON_CHANNEL", "X"]) | json_values),
              "reason": draw(json_values)}
    return draw(st.sampled_from([{"message": message}, {"message_delivery_report": report},
                                 {"message": draw(json_values)}, draw(json_values)]))


@given(sinch_payloads())
@settings(max_examples=400, deadline=None)
def test_the_sinch_parser_reads_or_refuses_any_body(payload):
    try:
        sinch.parse(json.dumps(payload).encode())
    except Invalid:
        assert not isinstance(payload, dict)
