"""Fuzzing Kaleyra's callback parser (hypothesis): any body, JSON or form-encoded, is read (a message, a
status, or an item kept unrouted with its reason) or refused with a reason (Invalid, a 400) when it is neither
JSON nor a form, never another exception."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.connectors import kaleyra
from server.errors import Invalid

pytestmark = pytest.mark.fuzz  # run by .ci/run after the README suite (see pyproject.toml)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
fields = st.sampled_from(["id", "status", "error", "error_code", "message", "from", "name", "type", "body",
                          "media_url", "mime_type", "created_at", "location", "contacts", "wanumber", "x"])
values = st.one_of(
    st.text(max_size=30), json_values,
    st.sampled_from(["text", "image", "voice", "document", "location", "contacts", "button", "read", "failed",
                     "not-sent", "919812300001", "https://x/y.jpg", "ftp://x", "1764064800", "{}", "[{}]",
                     '{"latitude": 1, "longitude": [2]}', '[{"name": "n", "phones": [1, {"phone": {}}]}]']))


@st.composite
def kaleyra_bodies(draw):
    """Mostly the real shape (a flat event), with any value anywhere; sometimes anything at all."""
    event = draw(st.dictionaries(fields, values, max_size=10))
    return draw(st.sampled_from([event, event, draw(json_values)]))


@given(kaleyra_bodies())
@settings(max_examples=500, deadline=None)
def test_the_kaleyra_parser_reads_or_refuses_any_json_body(body):
    try:
        messages, statuses, unrouted = kaleyra.parse(json.dumps(body).encode(), "application/json")
    except Invalid as refusal:
        assert refusal.message and not isinstance(body, dict)
        return
    assert all(m.id and m.sender and isinstance(m.text, str) for m in messages)
    assert all(s.message_id and s.status in ("sent", "delivered", "read", "failed") for s in statuses)
    assert all(u.reason and u.raw for u in unrouted)
    assert len(messages) + len(unrouted) + len(statuses) >= 1 or body.get("status") is not None


@given(st.dictionaries(fields, st.text(max_size=30) | values.map(str), max_size=10) | st.binary(max_size=60))
@settings(max_examples=500, deadline=None)
def test_the_kaleyra_parser_reads_or_refuses_any_form(form):
    raw = form if isinstance(form, bytes) else urlencode(form).encode()
    try:
        kaleyra.parse(raw, "application/x-www-form-urlencoded; charset=utf-8")
    except Invalid as refusal:
        assert refusal.message


@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/plain", ""]))
@settings(max_examples=300, deadline=None)
def test_the_kaleyra_parser_reads_or_refuses_any_bytes(raw, content_type):
    try:
        kaleyra.parse(raw, content_type)
    except Invalid as refusal:
        assert refusal.message
