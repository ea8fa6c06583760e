"""Meta Cloud API conformance over HTTP against a running server: real payloads written by others
(fixtures/meta/, each with its source in fixtures/meta/SOURCES.md), signed as Meta signs, and what each one
stored, read back through the REST API.

A fixture is sent as published, but for its number of ours (the demo account's `phone_number_id`), its
customer (a fresh number per test, so that tests do not share conversations) and its message ids (fresh, so
that a module's server does not see one test's messages as another's retries).
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serverproc import Api, ServerProcess

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
SECRET = b"demo-app-secret"
DEMO_NUMBER_ID = "100000000000001"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def fresh_number() -> str:
    return f"3934{random.SystemRandom().randrange(10**7, 10**8)}"  # hypothesis seeds the module's random


class Customer:
    """One customer of a test: rewrites fixtures onto their number and fresh message ids (the same published
    id always becomes the same fresh one, so a reaction still points at the message it reacts to)."""

    def __init__(self, number: str | None = None) -> None:
        self.number = number or fresh_number()
        self.ids: dict[str, str] = {}

    def adapt(self, payload: dict[str, Any], *, number_id: str = DEMO_NUMBER_ID,
              timestamp: int | None = None) -> dict[str, Any]:
        payload = copy.deepcopy(payload)
        senders = {m.get("from") for e in payload["entry"] for c in e["changes"]
                   for m in c["value"].get("messages", []) if m.get("from")}
        senders |= {c.get("wa_id") for e in payload["entry"] for ch in e["changes"]
                    for c in ch["value"].get("contacts", []) if c.get("wa_id")}

        def walk(value: Any, key: str = "") -> Any:
            if isinstance(value, dict):
                return {k: walk(v, k) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, key) for v in value]
            if isinstance(value, str) and value.startswith("wamid."):
                return self.ids.setdefault(value, f"wamid.{uuid.uuid4().hex}")
            if key in ("from", "wa_id", "recipient_id") and value in senders:
                return self.number
            if key == "phone_number_id":
                return number_id
            if key == "timestamp" and timestamp is not None:
                return str(timestamp)
            return value

        return walk(payload)

    def fresh(self, published: str) -> str:
        return self.ids[published]


def signed_post(server: ServerProcess, payload: Any, *, secret: bytes = SECRET,
                account: str = "meta-demo") -> httpx.Response:
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{server.base}/webhooks/meta/{account}", content=raw, timeout=20,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})


@pytest.fixture(scope="module")
def admin(demo_server: ServerProcess) -> Api:
    return Api(demo_server.base, "admin")


def conversation(admin: Api, address: str) -> list[dict[str, Any]]:
    """Every message of the customer's interactions, in chat order, as an admin reads them."""
    found = [i for i in admin.get("/interactions", params={"q": address, "page_size": 100}).json()["items"]
             if i["contact"]["phone"] == address]
    return [m for i in sorted(found, key=lambda i: i["id"])
            for m in admin.get(f"/interactions/{i['id']}/messages").json()["items"]]


def texts(admin: Api, address: str) -> list[tuple[str, str]]:
    return [(m["kind"], m["text"]) for m in conversation(admin, "+" + address if address.isdigit()
                                                         and not address.startswith("521") else address)]


def unrouted(admin: Api) -> list[dict[str, Any]]:
    return admin.get("/admin/unrouted", params={"page_size": 200}).json()["items"]


# --- each message type as published --------------------------------------------------------------------
EXPECTED = {
    "text": ("text", "Does it come in another color?"),
    "image": ("image", "[image] Taj Mahal"),
    "document": ("document", "[document] my receipt"),
    "audio_voice": ("audio", "[audio (voice)]"),
    "sticker": ("sticker", "[sticker]"),
    "video": ("video", "[video] caption"),
    "button": ("button", "Unsubscribe"),
    "interactive_button_reply": ("interactive", "Cancel"),
    "interactive_list_reply": ("interactive", "Priority Mail Express (Next Day to 2 Days)"),
    "order": ("order", None),
    "nfm_reply": ("interactive", None),
    "call_permission_reply": ("interactive", None),
    "call_permission_reply_reject": ("interactive", None),
    "interactive_missing_content": ("interactive", "[an interactive reply with no content]"),
    "unsupported": ("unsupported", None),
    "unsupported_edit": ("unsupported", "[a message of type edit this desk cannot show] (Message type is currently "
                                        "not supported.)"),
    "unknown_type_legacy": ("unsupported", "[a message of type unknown this desk cannot show] (Unsupported message "
                                           "type)"),
    "location": ("location", "[location] 37.44221496582, -122.16165924072 (Philz Coffee, 101 Forest Ave, Palo "
                             "Alto, CA 94301)"),
    "contacts": ("contacts", "[contacts] Barbara J. Johnson +1 (415) 555-0829"),
    "referral": ("text", "Can I get more info about this?\n[from an ad] Chat with us · https://fb.me/3cr4Wqqkv"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_published_message_type_is_stored_as_the_customer_meant_it(demo_server, admin, name: str) -> None:
    customer = Customer()
    payload = customer.adapt(fixture(name))
    r = signed_post(demo_server, payload)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [message] = conversation(admin, "+" + customer.number)
    kind, text = EXPECTED[name]
    assert message["kind"] == kind
    if text is not None:
        assert message["text"] == text
    assert message["text"] and "cannot show]" not in message["text"] or kind == "unsupported"
    published = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["sent_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(published["timestamp"])))
    if kind == "unsupported":  # kept visible, with the item as delivered for the admin
        assert json.loads(message["payload"])["id"] == published["id"]
    else:
        assert "payload" not in message


def test_what_richer_messages_carry_is_readable(demo_server, admin) -> None:
    def one(name: str) -> str:
        customer = Customer()
        assert signed_post(demo_server, customer.adapt(fixture(name))).status_code == 200
        [message] = conversation(admin, "+" + customer.number)
        return message["text"]

    order = one("order")
    items = fixture("order")["entry"][0]["changes"][0]["value"]["messages"][0]["order"]["product_items"]
    assert order.startswith(f"[order] {len(items)} item")
    for item in items:
        assert f"{item['quantity']} x {item['product_retailer_id']} at {item['item_price']} {item['currency']}" in order
    flow = one("nfm_reply")
    answers = json.loads(fixture("nfm_reply")["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"][
        "nfm_reply"]["response_json"])
    assert flow.startswith("[form reply]") and "flow_token" not in flow
    assert all(f"{key}: " in flow for key in answers if key != "flow_token")
    assert one("call_permission_reply").startswith("[call permission] The customer allowed calls")
    assert one("call_permission_reply_reject") == "[call permission] The customer declined calls."
    assert "[from an ad]" in one("referral")
    list_reply = one("interactive_list_reply")
    assert list_reply and not list_reply.startswith("[")


def test_a_masked_agent_never_sees_the_raw_payload(demo_server, admin) -> None:
    customer = Customer()
    signed_post(demo_server, customer.adapt(fixture("unsupported")))
    [row] = admin.get("/interactions", params={"q": "+" + customer.number}).json()["items"]
    supervisor = Api(demo_server.base, "supervisor")
    [message] = supervisor.get(f"/interactions/{row['id']}/messages").json()["items"]
    assert message["kind"] == "unsupported" and "payload" not in message


# --- one odd message never refuses the delivery ---------------------------------------------------------
def test_a_batch_mixing_good_and_odd_messages_stores_every_good_one(demo_server, admin) -> None:
    good, mexican, nobody = Customer(), Customer("5215512345678"), Customer()
    value = good.adapt(fixture("text"))["entry"][0]["changes"][0]["value"]
    mexico = mexican.adapt(fixture("mexico_521"))["entry"][0]["changes"][0]["value"]
    no_sender = nobody.adapt(fixture("no_sender_identifiers"))["entry"][0]["changes"][0]["value"]
    bsuid = Customer().adapt(fixture("bsuid"))["entry"][0]["changes"][0]["value"]
    value = {**value, "contacts": value["contacts"] + mexico["contacts"] + bsuid["contacts"],
             "messages": value["messages"] + mexico["messages"] + no_sender["messages"] + bsuid["messages"]
             + [{"id": f"wamid.{uuid.uuid4().hex}", "from": good.number, "type": "text", "text": {"body": ["x"]}},
                "not even an object"]}
    before = len(unrouted(admin))
    r = signed_post(demo_server, {"object": "whatsapp_business_account",
                                  "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]})
    assert r.status_code == 200, r.text
    assert r.json() | {"stored": r.json()["stored"]} == {"status": "ok", "stored": 4, "duplicates": 0,
                                                         "changes": 0, "statuses": 0, "unrouted": 2}
    assert texts(admin, good.number) == [
        ("text", "Does it come in another color?"),
        ("unsupported", "[a message this desk could not read (type text)]")]
    # a number phonenumbers refuses is still a WhatsApp id: kept as the digits WhatsApp gave, not E.164
    [row] = admin.get("/interactions", params={"q": "5215512345678"}).json()["items"]
    assert row["contact"]["phone"] == "5215512345678" and row["contact"]["phone_kind"] == "wa_id"
    assert [m["text"] for m in admin.get(f"/interactions/{row['id']}/messages").json()["items"]] == ["Thanks"]
    # a customer known only by their business-scoped user id
    [row] = admin.get("/interactions", params={"q": "US.13491208655302741918"}).json()["items"]
    assert row["contact"] == {**row["contact"], "phone": "US.13491208655302741918", "phone_kind": "user_id",
                              "name": "Sheena Nelson"}
    kept = unrouted(admin)[:len(unrouted(admin)) - before]
    assert {k["reason"] for k in kept} == {"A message has neither 'from' nor 'from_user_id'."}
    assert any("not even an object" in k["payload"] for k in kept)
    retry = signed_post(demo_server, {"object": "whatsapp_business_account",
                                      "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]})
    assert retry.json()["stored"] == 0 and retry.json()["duplicates"] == 4


def test_only_a_body_that_is_not_a_delivery_is_refused(demo_server) -> None:
    for body in ([], {"entry": {}}, "text", {"object": "whatsapp_business_account"}):
        r = signed_post(demo_server, body)
        assert r.status_code == 400 and r.json()["error"]["message"]


# --- each change goes to the account that has its number ------------------------------------------------
@pytest.fixture(scope="module")
def second_number(admin: Api) -> str:
    """A second number of the demo's Meta app (same app secret), and a number of another app."""
    for key, number_id, secret in (("meta-second", "100000000000002", "demo-app-secret"),
                                   ("meta-other-app", "100000000000003", "another-app-secret")):
        r = admin.post("/admin/accounts", json={
            "key": key, "provider": "meta", "queue": "WhatsAppConn1", "phone_number": "+15550100003",
            "credentials": {"phone_number_id": number_id, "access_token": "t", "app_secret": secret,
                            "verify_token": "v"}})
        assert r.status_code == 201, r.text
    return "100000000000002"


def test_changes_are_routed_by_their_phone_number_id(demo_server, admin, second_number) -> None:
    customer = Customer()
    payload = customer.adapt(fixture("text"), number_id=second_number)
    assert signed_post(demo_server, payload).json()["stored"] == 1  # sent to the demo account's URL
    [row] = admin.get("/interactions", params={"q": "+" + customer.number}).json()["items"]
    assert row["account"] == "meta-second"
    before = len(unrouted(admin))
    for number_id in ("100000000000003", "999"):  # another app's number, and nobody's
        stranger = Customer()
        r = signed_post(demo_server, stranger.adapt(fixture("text"), number_id=number_id))
        assert r.status_code == 200 and r.json()["stored"] == 0 and r.json()["unrouted"] == 1
        assert admin.get("/interactions", params={"q": "+" + stranger.number}).json()["total"] == 0
    kept = unrouted(admin)[:len(unrouted(admin)) - before]
    assert [k["reason"] for k in kept] == ["For the number 999, which no account of this app has.",
                                           "For the number 100000000000003, which no account of this app has."]


def test_statuses_are_applied_under_the_account_of_their_number(demo_server, second_number) -> None:
    payload = Customer().adapt(fixture("status_delivered"), number_id="999")
    r = signed_post(demo_server, payload)
    assert r.status_code == 200 and r.json()["statuses"] == 0 and r.json()["unrouted"] == 1


# --- the customer's time ---------------------------------------------------------------------------------
def test_a_late_redelivery_lands_in_its_place(demo_server, admin) -> None:
    customer = Customer()
    now = int(time.time())
    for offset, words in ((-30, "first"), (-10, "third")):
        text = customer.adapt(fixture("text"), timestamp=now + offset)
        text["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = words
        customer.ids.clear()
        assert signed_post(demo_server, text).json()["stored"] == 1
    late = customer.adapt(fixture("text"), timestamp=now - 20)
    late["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "second"
    assert signed_post(demo_server, late).json()["stored"] == 1
    messages = conversation(admin, "+" + customer.number)
    assert [m["text"] for m in messages] == ["first", "second", "third"]
    second = messages[1]
    assert second["sent_at"] < messages[2]["sent_at"] and second["created_at"] > messages[2]["created_at"]
    # paging backwards from the newest keeps the chat's order
    interaction_id = messages[0]["interaction_id"]
    older = admin.get(f"/interactions/{interaction_id}/messages", params={"before": messages[2]["id"]}).json()
    assert [m["text"] for m in older["items"]] == ["first", "second"]


def test_the_agents_replies_sit_between_the_customers_messages_by_time(demo_server, admin) -> None:
    customer, agent = Customer(), Api(demo_server.base, "agent5")
    # room for every conversation the module's other tests left waiting, so that this one is offered too
    assert admin.patch("/admin/users/agent5", json={"capacity": 100}).status_code == 200
    agent.put("/me/state", json={"state": "online"})
    try:
        question = customer.adapt(fixture("text"), timestamp=int(time.time()))
        assert signed_post(demo_server, question).json()["stored"] == 1
        [row] = admin.get("/interactions", params={"q": "+" + customer.number}).json()["items"]
        agent.wait_for_offer(row["id"])
        assert agent.post(f"/interactions/{row['id']}/accept").status_code == 200
        assert agent.post(f"/interactions/{row['id']}/messages", json={"text": "Yes, in blue"}).status_code == 201
        time.sleep(1.1)  # Meta's times are whole seconds
        customer.ids.clear()
        thanks = customer.adapt(fixture("text"), timestamp=int(time.time()))
        thanks["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "Thanks"
        assert signed_post(demo_server, thanks).json()["stored"] == 1
        assert [(m["direction"], m["text"]) for m in conversation(admin, "+" + customer.number)] == [
            ("in", "Does it come in another color?"), ("out", "Yes, in blue"), ("in", "Thanks")]
        assert agent.post(f"/interactions/{row['id']}/close", json={}).status_code == 200
    finally:
        agent.put("/me/state", json={"state": "offline"})
        admin.patch("/admin/users/agent5", json={"capacity": None})


def test_a_time_ahead_of_ours_is_taken_as_ours(demo_server, admin) -> None:
    customer = Customer()
    signed_post(demo_server, customer.adapt(fixture("text"), timestamp=int(time.time()) + 3600))
    [message] = conversation(admin, "+" + customer.number)
    assert message["sent_at"] == message["created_at"]


# --- edits, deletions, reactions ------------------------------------------------------------------------
def original_for(customer: Customer, published_id: str, text: str = "the original") -> dict[str, Any]:
    """The message an edit, revoke or reaction fixture refers to, sent first by the same customer."""
    payload = customer.adapt(fixture("text"))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = customer.ids.setdefault(published_id, f"wamid.{uuid.uuid4().hex}")
    message["text"]["body"] = text
    return payload


def test_an_edit_updates_the_original_and_keeps_its_earlier_text(demo_server, admin) -> None:
    customer = Customer()
    edit = fixture("edit")
    target = edit["entry"][0]["changes"][0]["value"]["messages"][0]["edit"]["original_message_id"]
    assert signed_post(demo_server, original_for(customer, target)).json()["stored"] == 1
    adapted = customer.adapt(edit)
    r = signed_post(demo_server, adapted)
    assert r.json() | {} == {"status": "ok", "stored": 0, "duplicates": 0, "changes": 1, "statuses": 0,
                             "unrouted": 0}
    assert signed_post(demo_server, adapted).json()["changes"] == 0  # a retry changes nothing more
    [message] = conversation(admin, "+" + customer.number)
    assert (message["text"], message["edited"], message["previous_texts"]) == (
        "Updated image caption", True, ["the original"])


def test_a_revoke_marks_the_original_deleted_and_keeps_it(demo_server, admin) -> None:
    customer = Customer()
    revoke = fixture("revoke")
    target = revoke["entry"][0]["changes"][0]["value"]["messages"][0]["revoke"]["original_message_id"]
    signed_post(demo_server, original_for(customer, target, "oops, wrong chat"))
    assert signed_post(demo_server, customer.adapt(revoke)).json()["changes"] == 1
    [message] = conversation(admin, "+" + customer.number)
    assert message["deleted"] is True and message["text"] == "oops, wrong chat"


def test_an_on_premises_deleted_status_marks_the_customers_message(demo_server, admin) -> None:
    customer = Customer()
    status = fixture("onprem_status_deleted")
    published = status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] \
        if "entry" in status else status["statuses"][0]["id"]
    signed_post(demo_server, original_for(customer, published, "deleted later"))
    statuses = [{"id": customer.ids[published], "status": "deleted", "timestamp": "1518694700"}]
    r = signed_post(demo_server, {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"metadata": {"phone_number_id": DEMO_NUMBER_ID}, "statuses": statuses}}]}]})
    assert r.status_code == 200
    [message] = conversation(admin, "+" + customer.number)
    assert message["deleted"] is True


@pytest.mark.parametrize("removal", ["reaction_removed", "reaction_removed_empty_emoji"])
def test_a_reaction_attaches_to_its_message_and_an_empty_one_removes_it(demo_server, admin, removal) -> None:
    customer = Customer()
    reaction = fixture("reaction")
    target = reaction["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["message_id"]
    signed_post(demo_server, original_for(customer, target, "the parcel arrived"))
    removed = fixture(removal)
    removed_target = removed["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["message_id"]
    customer.ids.setdefault(removed_target, customer.ids[target])
    emoji = reaction["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"]
    assert signed_post(demo_server, customer.adapt(reaction)).json()["changes"] == 1
    [message] = conversation(admin, "+" + customer.number)
    assert (message["text"], message["reaction"]) == ("the parcel arrived", emoji)
    assert signed_post(demo_server, customer.adapt(removed)).json()["changes"] == 1
    [message] = conversation(admin, "+" + customer.number)
    assert message["reaction"] is None


def test_a_change_to_a_message_we_never_had_is_kept_as_a_message(demo_server, admin) -> None:
    customer = Customer()
    assert signed_post(demo_server, customer.adapt(fixture("reaction"))).json()["stored"] == 1
    customer.ids.clear()  # the published examples share their message ids
    assert signed_post(demo_server, customer.adapt(fixture("revoke"))).json()["stored"] == 1
    assert [m["text"] for m in conversation(admin, "+" + customer.number)][-2:] == [
        "[reaction] " + fixture("reaction")["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"],
        "[deleted a message]"]


def test_a_customer_cannot_change_another_customers_message(demo_server, admin) -> None:
    victim, intruder = Customer(), Customer()
    edit = fixture("edit")
    target = edit["entry"][0]["changes"][0]["value"]["messages"][0]["edit"]["original_message_id"]
    signed_post(demo_server, original_for(victim, target, "mine"))
    intruder.ids[target] = victim.ids[target]
    signed_post(demo_server, intruder.adapt(edit))
    [message] = conversation(admin, "+" + victim.number)
    assert (message["text"], message["edited"]) == ("mine", False)


# --- system notices ---------------------------------------------------------------------------------------
def test_a_changed_number_is_told_in_the_chat_and_the_conversation_follows_it(demo_server, admin) -> None:
    customer = Customer()
    signed_post(demo_server, customer.adapt(fixture("text")))
    notice = customer.adapt(fixture("system_changed_number"))
    new_number = fresh_number()
    notice["entry"][0]["changes"][0]["value"]["messages"][0]["system"]["wa_id"] = new_number
    assert signed_post(demo_server, notice).json()["stored"] == 1
    [row] = admin.get("/interactions", params={"q": "+" + new_number}).json()["items"]
    assert row["contact"]["phone"] == "+" + new_number
    texts_now = [m["text"] for m in admin.get(f"/interactions/{row['id']}/messages").json()["items"]]
    assert texts_now[-1] == (f"[system] The customer changed their WhatsApp number to +{new_number}; replies go to "
                             "the new number.")
    follow_up = Customer(new_number).adapt(fixture("text"))
    signed_post(demo_server, follow_up)
    assert len(admin.get(f"/interactions/{row['id']}/messages").json()["items"]) == 3  # the same conversation


def test_an_identity_change_is_told_in_the_chat(demo_server, admin) -> None:
    customer = Customer()
    assert signed_post(demo_server, customer.adapt(fixture("system_identity_changed"))).status_code == 200
    [message] = conversation(admin, "+" + customer.number)
    assert message["kind"] == "system" and "security code changed" in message["text"]


# --- any delivery of valid and invalid messages -----------------------------------------------------------
text_message = st.builds(lambda body: {"type": "text", "text": {"body": body}}, st.text(min_size=1, max_size=40))
invalid_message = st.one_of(
    st.just({"type": "text", "text": {"body": "no sender"}, "no_from": True}),
    st.builds(lambda v: {"type": "text", "text": {"body": v}, "no_from": True}, st.integers()),
    st.just("not an object"), st.none(), st.integers())


@given(st.lists(st.tuples(st.booleans(), text_message, invalid_message), min_size=1, max_size=6))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_valid_and_invalid_messages_stores_exactly_the_valid_ones(demo_server, admin, mix) -> None:
    customer = Customer()
    messages, expected = [], []
    for valid, good, bad in mix:
        if valid:
            body = f"{len(expected)} {good['text']['body']}"
            messages.append({**good, "text": {"body": body}, "from": customer.number,
                             "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time()))})
            expected.append(body.replace("\x00", "\ufffd"))  # NUL, which no database column takes, is replaced
        elif isinstance(bad, dict):
            messages.append({k: v for k, v in bad.items() if k != "no_from"} | {"id": f"wamid.{uuid.uuid4().hex}"})
        else:
            messages.append(bad)
    value = {"metadata": {"phone_number_id": DEMO_NUMBER_ID},
             "contacts": [{"wa_id": customer.number, "profile": {"name": "Prop Erty"}}], "messages": messages}
    r = signed_post(demo_server, {"object": "whatsapp_business_account",
                                  "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == len(expected) and r.json()["unrouted"] == len(messages) - len(expected)
    assert [m["text"] for m in conversation(admin, "+" + customer.number)] == expected
