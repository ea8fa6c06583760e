"""Working an interaction over HTTP: details, messages, send, notes, read and unread, close, who may do
what (SPEC R8-R10, R12, D5, D7, S2)."""
from __future__ import annotations

import pytest

from tests.api.conftest import CAPACITY, QUEUE, Desk, assert_error, eventually, new_phone


def test_details_and_messages_of_my_interaction(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.open_for("agent1", phone, "Hello, my order is late", name="Paolo Bianchi")
    details = desk.get(interaction_id, "agent1")
    assert details["id"] == interaction_id
    assert details["status"] == "open" and details["owner"] == "agent1" and details["first_agent"] == "agent1"
    assert details["queue"] == QUEUE and details["account"] == "sandbox"
    assert details["contact"]["phone"] == phone and details["contact"]["name"] == "Paolo Bianchi"
    assert details["created_at"].endswith("Z") and details["closed_at"] is None
    assert details["unread"] == 1 and details["transfer"] is None
    r = desk["agent1"].get(f"/interactions/{interaction_id}/messages")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    [message] = body["items"]
    assert message["direction"] == "in" and message["text"] == "Hello, my order is late"
    assert message["sender"] == "Paolo Bianchi" and message["status"] == "received"
    assert isinstance(message["id"], int) and message["created_at"].endswith("Z")
    desk.close("agent1", interaction_id)


def test_sending_a_message_stores_it_out_and_sent(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="ciao")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/messages", json={"text": "Hi! How can I help? 😊"})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["direction"] == "out" and sent["text"] == "Hi! How can I help? 😊"
    assert sent["status"] in ("queued", "sent") and sent["sender"] == "Alice Agent"  # stored before it is sent
    assert eventually(lambda: desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"][-1][
        "status"] == "sent")
    items = desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [(m["direction"], m["text"]) for m in items] == [("in", "ciao"), ("out", "Hi! How can I help? 😊")]
    assert items[1]["id"] == sent["id"]
    # sending is not reading: the customer's message is still unread
    assert desk.get(interaction_id, "agent1")["unread"] == 1
    desk.close("agent1", interaction_id)


def test_notes_are_internal_messages(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/notes", json={"text": "Customer is a VIP"})
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["direction"] == "note" and note["text"] == "Customer is a VIP" and note["sender"] == "Alice Agent"
    assert note["status"] != "sent"  # never handed to the provider
    items = desk.sup.get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["direction"] for m in items] == ["in", "note"]
    assert desk.get(interaction_id, "agent1")["unread"] == 1  # a note is nobody's unread message
    # a note is not the conversation's last message in the list
    listed = desk["agent1"].get("/interactions", params={"status": "open"}).json()["items"]
    row = next(i for i in listed if i["id"] == interaction_id)
    assert row["last_message"] == {"direction": "in", "text": "hello"}
    assert desk.get(interaction_id, "agent1")["last_message"] == {"direction": "in", "text": "hello"}
    desk.close("agent1", interaction_id)


@pytest.mark.parametrize("path", ["messages", "notes"])
@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {}, {"text": 5}, {"text": None},
                                  {"text": "x" * 4097}])
def test_empty_or_oversized_text_is_422(desk: Desk, path: str, body: dict) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/{path}", json=body), 422, "invalid")
    assert desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["total"] == 1
    desk.close("agent1", interaction_id)


def test_the_longest_text_allowed_is_4096_characters(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/messages", json={"text": "y" * 4096})
    assert r.status_code == 201 and len(r.json()["text"]) == 4096
    desk.close("agent1", interaction_id)


def test_messages_paging_with_before_and_limit(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.open_for("agent1", phone, "one")
    for text in ("two", "three", "four"):
        assert desk.inbound(phone, text) == interaction_id
    api = desk["agent1"]
    everything = api.get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["text"] for m in everything] == ["one", "two", "three", "four"]
    latest = api.get(f"/interactions/{interaction_id}/messages", params={"limit": 2}).json()["items"]
    assert [m["text"] for m in latest] == ["three", "four"]
    older = api.get(f"/interactions/{interaction_id}/messages",
                    params={"limit": 2, "before": latest[0]["id"]}).json()["items"]
    assert [m["text"] for m in older] == ["one", "two"]
    for limit in (0, 501):
        assert_error(api.get(f"/interactions/{interaction_id}/messages", params={"limit": limit}), 422, "invalid")
    desk.close("agent1", interaction_id)


def test_unread_counts_inbound_and_the_owners_read_clears_it(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.open_for("agent1", phone, "first")
    assert desk.get(interaction_id, "agent1")["unread"] == 1
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 1)
    for n, text in enumerate(("second", "third"), start=2):
        desk.inbound(phone, text)
        assert desk.get(interaction_id, "agent1")["unread"] == n
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 3)

    r = desk["agent1"].post(f"/interactions/{interaction_id}/read")
    assert r.status_code == 200
    assert r.json() == {"interaction_id": interaction_id, "unread": 0}
    assert desk.get(interaction_id, "agent1")["unread"] == 0
    assert desk.get(interaction_id, "supervisor")["unread"] == 0
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 0)
    # reading again is harmless
    assert desk["agent1"].post(f"/interactions/{interaction_id}/read").json()["unread"] == 0

    desk.inbound(phone, "are you there?")
    assert desk.get(interaction_id, "agent1")["unread"] == 1
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 1)
    desk.close("agent1", interaction_id)
    assert desk.get(interaction_id)["unread"] == 0
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 0)


def test_a_supervisor_reading_changes_no_unread_count(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.open_for("agent1", phone, "first")
    desk.inbound(phone, "second")
    assert desk.get(interaction_id, "agent1")["unread"] == 2
    for spy in ("supervisor", "admin"):
        assert desk[spy].get(f"/interactions/{interaction_id}/messages").status_code == 200
        r = desk[spy].post(f"/interactions/{interaction_id}/read")
        assert r.status_code == 200, r.text
        assert r.json()["unread"] == 2
    assert desk.get(interaction_id, "agent1")["unread"] == 2
    assert eventually(lambda: desk.me("agent1")["unread_total"] == 2)
    unread = desk["agent1"].get("/interactions", params={"unread": "true", "status": "open"}).json()["items"]
    assert interaction_id in [i["id"] for i in unread]
    desk.close("agent1", interaction_id)


def test_another_agent_can_neither_read_nor_act_but_supervisors_read(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    interaction_id = desk.open_for("agent1", text="private matter")
    other = desk["agent2"]
    base = f"/interactions/{interaction_id}"
    assert_error(other.get(base), 403, "forbidden")
    assert_error(other.get(f"{base}/messages"), 403, "forbidden")
    assert_error(other.post(f"{base}/messages", json={"text": "hijack"}), 403, "forbidden")
    assert_error(other.post(f"{base}/notes", json={"text": "hijack"}), 403, "forbidden")
    assert_error(other.post(f"{base}/read"), 403, "forbidden")
    assert_error(other.post(f"{base}/close", json={}), 403, "forbidden")
    assert_error(other.post(f"{base}/transfer", json={"agent": "agent2"}), 403, "forbidden")
    assert interaction_id not in [i["id"] for i in other.get("/interactions").json()["items"]]

    for reader in ("supervisor", "admin"):
        details = desk.get(interaction_id, reader)
        assert details["owner"] == "agent1"
        assert [m["text"] for m in desk[reader].get(f"{base}/messages").json()["items"]] == ["private matter"]
        # reading is all they may do: writing, closing and transferring are the owner's
        assert_error(desk[reader].post(f"{base}/messages", json={"text": "hi"}), 403, "forbidden")
        assert_error(desk[reader].post(f"{base}/notes", json={"text": "hi"}), 403, "forbidden")
        assert_error(desk[reader].post(f"{base}/close", json={}), 403, "forbidden")
        assert_error(desk[reader].post(f"{base}/transfer", json={"agent": "agent2"}), 403, "forbidden")
    assert [m["text"] for m in desk["agent1"].get(f"{base}/messages").json()["items"]] == ["private matter"]
    assert desk.get(interaction_id)["status"] == "open"
    desk.close("agent1", interaction_id)


def test_a_waiting_interaction_is_readable_by_supervisors_only(desk: Desk) -> None:
    interaction_id = desk.inbound(new_phone(), "anyone?")
    details = desk.get(interaction_id)
    assert details["owner"] is None and details["status"] == "open"
    assert_error(desk["agent1"].get(f"/interactions/{interaction_id}"), 403, "forbidden")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/close", json={}), 403, "forbidden")
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    desk.close("agent1", interaction_id)


def test_unknown_interactions_are_404(desk: Desk) -> None:
    api = desk["agent1"]
    for method, path, body in [("GET", "", None), ("GET", "/messages", None), ("POST", "/messages", {"text": "x"}),
                               ("POST", "/notes", {"text": "x"}), ("POST", "/read", None),
                               ("POST", "/close", {}), ("POST", "/transfer", {"agent": "agent2"})]:
        assert_error(api.request(method, f"/interactions/424242{path}", json=body), 404, "not_found")
        assert_error(desk.sup.request(method, f"/interactions/424242{path}", json=body), 404, "not_found")
    assert_error(api.get("/interactions/not-a-number"), 422, "invalid")


def test_close_with_disposition_frees_capacity_and_leaves_the_desk(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/close", json={"disposition": "Resolved"})
    assert r.status_code == 200, r.text
    assert r.json() == {"interaction_id": interaction_id, "status": "closed"}
    details = desk.get(interaction_id, "agent1")  # the owner still reads it after the close
    assert details["status"] == "closed" and details["disposition"] == "Resolved" and details["closed_at"]
    assert details["owner"] == "agent1"
    closed = [h for h in details["history"] if h["kind"] == "closed"]
    assert [h["agents"] for h in closed] == [["agent1"]]
    assert details["history"][-1]["kind"] == "closed"
    assert eventually(lambda: interaction_id not in desk.me("agent1")["open_interactions"])
    # closed: no more writing, closing or transferring
    base = f"/interactions/{interaction_id}"
    assert_error(desk["agent1"].post(f"{base}/close", json={}), 409, "closed")
    assert_error(desk["agent1"].post(f"{base}/messages", json={"text": "late"}), 409, "closed")
    assert_error(desk["agent1"].post(f"{base}/notes", json={"text": "late"}), 409, "closed")
    assert_error(desk["agent1"].post(f"{base}/transfer", json={"agent": "agent2"}), 409, "closed")
    assert desk["agent1"].post(f"{base}/read").json() == {"interaction_id": interaction_id, "unread": 0}
    # the slot it held is free again: five more fit
    owned = [desk.open_for("agent1") for _ in range(CAPACITY)]
    for other in owned:
        desk.close("agent1", other)


def test_close_without_a_body_or_disposition(desk: Desk) -> None:
    desk.online("agent1")
    first, second = desk.open_for("agent1"), desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{first}/close")
    assert r.status_code == 200, r.text
    assert desk.get(first)["status"] == "closed" and desk.get(first)["disposition"] is None
    r = desk["agent1"].post(f"/interactions/{second}/close", json={"disposition": None})
    assert r.status_code == 200, r.text
    assert desk.get(second)["disposition"] is None


@pytest.mark.parametrize("disposition", ["No such outcome", ["Resolved"], {"name": "Resolved"}, 987654])
def test_close_with_an_unknown_disposition_is_422_and_stays_open(desk: Desk, disposition: object) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/close", json={"disposition": disposition})
    assert_error(r, 422, "invalid")
    assert desk.get(interaction_id)["status"] == "open"
    desk.close("agent1", interaction_id)


def test_one_open_interaction_per_conversation(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    first = desk.open_for("agent1", phone, "first")
    r = desk.admin.inbound("wamid.join-" + phone, phone.replace("+39", "+39 "), "second")  # same number, spaced
    assert r.status_code == 200 and r.json()["interaction_id"] == first
    assert desk.get(first)["unread"] == 2
    desk.no_offer_for("agent1", first, wait=0.2)  # joining an owned interaction offers nothing
    desk.close("agent1", first)
    later = desk.inbound(phone, "it's me again")
    assert later != first
    desk.accept("agent1", later)
    assert [m["text"] for m in desk.sup.get(f"/interactions/{later}/messages").json()["items"]] == ["it's me again"]
    assert [m["text"] for m in desk.sup.get(f"/interactions/{first}/messages").json()["items"]] == ["first", "second"]
    desk.close("agent1", later)


def test_a_waiting_conversation_collects_messages_before_anyone_accepts(desk: Desk) -> None:
    phone = new_phone()
    interaction_id = desk.inbound(phone, "one")
    assert desk.inbound(phone, "two") == interaction_id
    assert desk.waiting() == 1  # still one interaction waiting
    desk.online("agent2")
    desk.accept("agent2", interaction_id)
    assert desk.get(interaction_id, "agent2")["unread"] == 2
    desk.close("agent2", interaction_id)
