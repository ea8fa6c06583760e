"""Input the database cannot hold, or that breaks a parser, answers a 4xx in the contract's error shape and
changes nothing: names longer than their column, ids beyond the id columns, digits `int()` refuses, NUL
characters, non-ASCII signatures and verify tokens, deeply nested JSON; and any method under /api/ answers
JSON (405 with Allow on a known path, 404 on an unknown one), never the web page."""
from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import httpx
import pytest

from tests.api.conftest import Desk, assert_error, new_phone
from tests.serverproc import ServerProcess

LONG = "x" * 1001  # longer than any name column
HUGE = str(2**63)
DEEP = "[" * 100_000 + "]" * 100_000


def _error_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, f"{response.status_code} {response.text[:300]}"
    assert_error(response, response.status_code)


def test_a_login_with_an_overlong_username_or_password_is_refused(demo_server: ServerProcess) -> None:
    for body in ({"username": LONG, "password": "demo"}, {"username": "admin", "password": LONG}):
        r = httpx.post(f"{demo_server.base}/api/v1/auth/login", json=body)
        assert_error(r, 401, "bad_credentials")


@pytest.mark.parametrize("path", [f"/interactions/{HUGE}", f"/interactions/{2**31}", "/interactions/-1",
                                  f"/contacts/{HUGE}", f"/admin/custom-fields/{HUGE}", f"/admin/campaigns/{HUGE}",
                                  f"/interactions/1/messages?before={HUGE}", f"/interactions?page={HUGE}"])
def test_ids_beyond_the_id_columns_are_refused(desk: Desk, path: str) -> None:
    _error_4xx(desk.admin.get(path))


@pytest.mark.parametrize("key", ["²", HUGE, "99999999999999999999", LONG, "a\x00b"],
                         ids=["superscript", "2**63", "20 digits", "long", "nul"])
def test_odd_names_name_no_row(desk: Desk, key: str) -> None:
    key = quote(key, safe="")
    for path in (f"/admin/queues/{key}", f"/admin/lists/{key}/permissions", f"/admin/accounts/{key}",
                 f"/admin/templates/{key}", f"/admin/tags/{key}"):
        answer = desk.admin.get(path) if "tags" not in path else desk.admin.delete(path)
        assert_error(answer, 422 if "%00" in key else 404)  # NUL is refused at the door


def test_odd_names_in_bodies_and_queries_are_refused(desk: Desk) -> None:
    before = desk.admin.get("/admin/lists").json()["total"]
    for body in ({"name": LONG}, {"name": "a\x00b"}):
        _error_4xx(desk.admin.post("/admin/lists", json=body))
    assert desk.admin.get("/admin/lists").json()["total"] == before
    _error_4xx(desk.admin.put("/admin/queues/WhatsAppConn1/members", json={"members": ["²", HUGE]}))
    _error_4xx(desk.admin.post("/contacts/1/merge", json={"other": "²"}))
    _error_4xx(desk.admin.post("/contacts", json={"list": "²", "first_name": "Odd"}))
    _error_4xx(desk.admin.get("/contacts", params={"q": "a\x00b"}))
    unknown_agent = desk.admin.get("/interactions", params={"agent": "²"})
    assert unknown_agent.status_code == 200 and unknown_agent.json()["total"] == 0, unknown_agent.text


def test_deeply_nested_json_is_refused(desk: Desk) -> None:
    for path in ("/auth/login", "/interactions/1/messages", "/admin/lists"):
        _error_4xx(desk.admin.post(path, content=DEEP, headers={"Content-Type": "application/json"}))
    shallower = "[" * 30_000 + "]" * 30_000  # within the sandbox webhook's 64 KB
    _error_4xx(httpx.post(f"{desk.server.base}/webhooks/sandbox/sandbox", content=shallower,
                          headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize("path", ["/webhooks/sandbox/" + LONG, "/webhooks/meta/" + LONG, "/webhooks/sandbox/a%00b"],
                         ids=["sandbox-long", "meta-long", "nul"])
def test_webhooks_to_an_account_key_no_account_can_have_answer_404(demo_server: ServerProcess, path: str) -> None:
    assert_error(httpx.post(demo_server.base + path, json={"id": "1", "from": "+393331234567", "text": "hi"}), 404)


def test_non_ascii_signatures_and_verify_tokens_are_refused(demo_server: ServerProcess) -> None:
    base = demo_server.base
    odd = {name: value.encode() for name, value in {
        "X-Hub-Signature-256": "sha256=é", "X-Twilio-Signature": "é", "x-sinch-webhook-signature": "é",
        "x-sinch-webhook-signature-nonce": "é", "x-sinch-webhook-signature-timestamp": "é"}.items()}
    assert_error(httpx.get(f"{base}/webhooks/meta/meta-demo",
                           params={"hub.mode": "subscribe", "hub.verify_token": "é", "hub.challenge": "1"}), 403)
    assert_error(httpx.post(f"{base}/webhooks/meta/meta-demo", content=b"{}", headers=odd), 403)
    assert_error(httpx.post(f"{base}/webhooks/twilio/twilio-demo", content=b"a=b", headers=odd), 403)


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "TRACE", "PROPFIND", "DELETE"])
def test_any_method_on_a_known_api_path_answers_405_with_allow(demo_server: ServerProcess, method: str) -> None:
    r = httpx.request(method, f"{demo_server.base}/api/v1/me")
    assert r.status_code == 405 and r.headers["allow"] == "GET", r.text
    assert r.headers["content-type"] == "application/json"
    if method != "HEAD":
        assert_error(r, 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "TRACE", "PROPFIND"])
def test_any_method_on_an_unknown_api_path_answers_404(demo_server: ServerProcess, method: str) -> None:
    r = httpx.request(method, f"{demo_server.base}/api/v1/no-such-thing")
    assert r.headers["content-type"] == "application/json"
    assert_error(r, 404, "not_found")


def _signed_meta(base: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()  # "\u0000" escapes, as Meta writes any control character
    signature = "sha256=" + hmac.new(b"demo-app-secret", raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{base}/webhooks/meta/meta-demo", content=raw, timeout=20,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def test_a_nul_character_from_a_provider_costs_nothing_but_itself(desk: Desk) -> None:
    """PostgreSQL refuses NUL in text and JSON: a customer's message holding one is stored with U+FFFD in its
    place (on both databases), never refused, never a 500."""
    phone = new_phone()
    sandbox = httpx.post(f"{desk.server.base}/webhooks/sandbox/sandbox",
                         json={"id": f"nul-{phone}", "from": phone, "text": "before\x00after", "name": "Nul\x00l"})
    assert sandbox.status_code == 200, sandbox.text
    other = new_phone()
    wa_id = other.lstrip("+")
    meta = _signed_meta(desk.server.base, {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100001",
                                                          "phone_number_id": "100000000000001"},
            "contacts": [{"profile": {"name": "Meta\x00Customer"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.nul{wa_id}", "timestamp": "1764100000",
                          "type": "text", "text": {"body": "one\x00two"}}]}}]}]})
    assert meta.status_code == 200 and meta.json()["stored"] == 1, meta.text
    texts = {}
    for interaction_id in (sandbox.json()["interaction_id"], _interaction_of(desk, other)):
        [message] = desk.admin.get(f"/interactions/{interaction_id}/messages").json()["items"]
        texts[interaction_id] = message["text"]
    assert sorted(texts.values()) == ["before\ufffdafter", "one\ufffdtwo"]
    desk.drain()


def _interaction_of(desk: Desk, phone: str) -> int:
    found = desk.admin.get("/interactions", params={"q": phone}).json()["items"]
    assert len(found) == 1, found
    return found[0]["id"]


def test_a_nul_character_in_what_an_agent_sends_is_refused(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    agent = desk["agent1"]
    assert_error(agent.post(f"/interactions/{interaction_id}/messages", json={"text": "a\x00b"}), 422)
    caption = agent.post(f"/interactions/{interaction_id}/messages", files={"file": ("a.txt", b"hello", "text/plain")},
                         data={"text": "cap\x00tion"})
    assert_error(caption, 422)
    form = (b'--b0\r\nContent-Disposition: form-data; name="file"; filename="na\x00me.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nhello\r\n--b0--\r\n")  # a raw NUL, as no library would send it
    named = agent.post(f"/interactions/{interaction_id}/messages", content=form,
                       headers={"Content-Type": "multipart/form-data; boundary=b0"})
    assert named.status_code == 201, named.text
    messages = desk.admin.get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[1]["attachment"]["filename"] == "na_me.txt"
