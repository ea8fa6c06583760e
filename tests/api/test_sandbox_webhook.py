"""The sandbox provider's inbound webhook (SPEC W2, W3, W6, R9): stored, deduplicated, routed; bad input
answers 400 with a reason and stores nothing; an unknown account 404."""
from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from tests.api.conftest import Desk, assert_error, new_id, new_phone
from tests.serverproc import ServerProcess


def _post(server: ServerProcess, body: object, account: str = "sandbox", **kwargs: object) -> httpx.Response:
    if "content" in kwargs:
        return httpx.post(f"{server.base}/webhooks/sandbox/{account}", **kwargs)  # type: ignore[arg-type]
    return httpx.post(f"{server.base}/webhooks/sandbox/{account}", json=body)


def _found(desk: Desk, text: str) -> int:
    return desk.sup.get("/interactions", params={"q": text}).json()["total"]


def test_an_inbound_message_is_stored_and_opens_an_interaction(desk: Desk) -> None:
    phone = new_phone()
    message_id = new_id()
    r = _post(desk.server, {"id": message_id, "from": phone, "text": "Buongiorno!", "name": "Luca Verdi"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "stored"
    assert isinstance(body["interaction_id"], int) and isinstance(body["message_id"], int)
    details = desk.get(body["interaction_id"])
    assert details["status"] == "open" and details["owner"] is None
    assert details["account"] == "sandbox" and details["provider"] == "sandbox"
    assert (details["contact"]["name"], details["contact"]["phone"]) == ("Luca Verdi", phone)
    assert [h["kind"] for h in details["history"]][0] == "queued"
    [message] = desk.sup.get(f"/interactions/{body['interaction_id']}/messages").json()["items"]
    assert message["id"] == body["message_id"] and message["text"] == "Buongiorno!"
    assert message["direction"] == "in" and message["sender"] == "Luca Verdi"
    desk.online("agent1")
    desk.accept("agent1", body["interaction_id"])
    desk.close("agent1", body["interaction_id"])


def test_numbers_are_stored_in_e164(desk: Desk) -> None:
    phone = new_phone()
    spaced = f"{phone[:3]} {phone[3:6]} {phone[6:]}"
    r = _post(desk.server, {"id": new_id(), "from": spaced, "text": "spaced"})
    assert r.status_code == 200, r.text
    interaction_id = r.json()["interaction_id"]
    assert desk.get(interaction_id)["contact"]["phone"] == phone
    # without the plus (as a WhatsApp id) it is the same conversation
    again = _post(desk.server, {"id": new_id(), "from": phone[1:], "text": "no plus"})
    assert again.json()["interaction_id"] == interaction_id
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    desk.close("agent1", interaction_id)


def test_a_retried_message_id_is_acknowledged_and_stored_once(desk: Desk) -> None:
    phone = new_phone()
    message_id = new_id()
    first = _post(desk.server, {"id": message_id, "from": phone, "text": "only once"})
    assert first.status_code == 200 and first.json()["status"] == "stored"
    interaction_id = first.json()["interaction_id"]
    for _ in range(2):
        retry = _post(desk.server, {"id": message_id, "from": phone, "text": "only once"})
        assert retry.status_code == 200, retry.text
        assert retry.json()["status"] == "duplicate"
    messages = desk.sup.get(f"/interactions/{interaction_id}/messages").json()
    assert [m["text"] for m in messages["items"]] == ["only once"]
    assert desk.get(interaction_id)["unread"] == 1
    assert desk.waiting() == 1
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    assert desk.get(interaction_id, "agent1")["unread"] == 1
    desk.close("agent1", interaction_id)
    # a retry after the close opens nothing new
    late = _post(desk.server, {"id": message_id, "from": phone, "text": "only once"})
    assert late.status_code == 200 and late.json()["status"] == "duplicate"
    assert desk.waiting() == 0
    assert _found(desk, phone) == 1


def test_concurrent_retries_of_one_message_store_it_once(desk: Desk) -> None:
    phone = new_phone()
    message_id = new_id()
    text = f"burst {uuid.uuid4().hex}"
    barrier = threading.Barrier(8)
    results: list[httpx.Response] = []

    def send() -> None:
        barrier.wait()
        results.append(_post(desk.server, {"id": message_id, "from": phone, "text": text}))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert [r.status_code for r in results] == [200] * 8
    statuses = sorted(r.json()["status"] for r in results)
    assert statuses == ["duplicate"] * 7 + ["stored"]
    [stored] = [r.json() for r in results if r.json()["status"] == "stored"]
    assert _found(desk, text) == 1
    assert desk.sup.get(f"/interactions/{stored['interaction_id']}/messages").json()["total"] == 1
    desk.online("agent1")
    desk.accept("agent1", stored["interaction_id"])
    desk.close("agent1", stored["interaction_id"])


def test_concurrent_messages_of_one_conversation_join_one_interaction(desk: Desk) -> None:
    phone = new_phone()
    barrier = threading.Barrier(6)
    results: list[httpx.Response] = []

    def send(n: int) -> None:
        barrier.wait()
        results.append(_post(desk.server, {"id": new_id(), "from": phone, "text": f"part {n}"}))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert [r.status_code for r in results] == [200] * 6
    interaction_ids = {r.json()["interaction_id"] for r in results}
    assert len(interaction_ids) == 1
    [interaction_id] = interaction_ids
    assert desk.sup.get(f"/interactions/{interaction_id}/messages").json()["total"] == 6
    assert _found(desk, phone) == 1
    assert desk.waiting() == 1
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    assert desk.get(interaction_id, "agent1")["unread"] == 6
    desk.close("agent1", interaction_id)


def test_concurrent_retries_in_an_open_conversation_store_the_message_once(desk: Desk) -> None:
    """Messages of open conversations are told from retries by the insert itself (no read first): retries in
    one batch and in later ones are duplicates, and the message beside them is stored."""
    phone = new_phone()
    opened = _post(desk.server, {"id": new_id(), "from": phone, "text": "hello"})
    interaction_id = opened.json()["interaction_id"]
    message_id, other_id = new_id(), new_id()
    barrier = threading.Barrier(9)
    results: list[tuple[str, httpx.Response]] = []

    def send(mid: str) -> None:
        barrier.wait()
        results.append((mid, _post(desk.server, {"id": mid, "from": phone, "text": f"text of {mid}"})))

    threads = [threading.Thread(target=send, args=(message_id,)) for _ in range(8)]
    threads.append(threading.Thread(target=send, args=(other_id,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert [r.status_code for _, r in results] == [200] * 9
    retried = sorted(r.json()["status"] for mid, r in results if mid == message_id)
    assert retried == ["duplicate"] * 7 + ["stored"]
    assert [r.json()["status"] for mid, r in results if mid == other_id] == ["stored"]
    assert {r.json()["interaction_id"] for _, r in results if r.json()["status"] == "stored"} == {interaction_id}
    texts = [m["text"] for m in desk.sup.get(f"/interactions/{interaction_id}/messages").json()["items"]]
    assert sorted(texts) == sorted(["hello", f"text of {message_id}", f"text of {other_id}"])
    assert desk.get(interaction_id)["unread"] == 3
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    desk.close("agent1", interaction_id)


def test_the_same_id_on_another_conversation_is_still_a_duplicate(desk: Desk) -> None:
    """Provider ids are unique per account: a retry is recognised by its id alone."""
    message_id = new_id()
    first = _post(desk.server, {"id": message_id, "from": new_phone(), "text": "first"})
    other = _post(desk.server, {"id": message_id, "from": new_phone(), "text": "second"})
    assert first.json()["status"] == "stored" and other.json()["status"] == "duplicate"
    desk.online("agent1")
    desk.accept("agent1", first.json()["interaction_id"])
    desk.close("agent1", first.json()["interaction_id"])


@pytest.mark.parametrize("body", [
    [], "text", 42, {},
    {"from": "+393330001111", "text": "no id"},
    {"id": "x1", "text": "no from"},
    {"id": "x2", "from": "+393330001111"},
    {"id": "", "from": "+393330001111", "text": "empty id"},
    {"id": "x3", "from": "", "text": "empty from"},
    {"id": "x4", "from": "+393330001111", "text": ""},
    {"id": 5, "from": "+393330001111", "text": "numeric id"},
    {"id": "x5", "from": "not a number", "text": "bad number"},
    {"id": "x6", "from": "+3912", "text": "too short"},
    {"id": "i" * 151, "from": "+393330001111", "text": "id too long"},
])
def test_a_malformed_body_is_400_with_a_reason_and_stores_nothing(desk: Desk, body: object) -> None:
    marker = f"bad-{uuid.uuid4().hex}"
    if isinstance(body, dict) and "text" in body and body["text"]:
        body = {**body, "text": f"{body['text']} {marker}"}
    r = _post(desk.server, body)
    assert_error(r, 400, "bad_request")
    assert _found(desk, marker) == 0
    assert desk.waiting() == 0


def test_a_text_over_whatsapps_limit_is_400_and_stores_nothing(desk: Desk) -> None:
    marker = f"long-{uuid.uuid4().hex}"
    r = _post(desk.server, {"id": new_id(), "from": new_phone(), "text": marker + "x" * 4096})
    assert_error(r, 400, "bad_request")
    assert "4096" in r.json()["error"]["message"]
    assert _found(desk, marker) == 0 and desk.waiting() == 0


def test_a_body_that_is_not_json_is_400(desk: Desk) -> None:
    for content in (b"id=1&from=%2B393330001111", b"\xff\xfe", b""):
        r = _post(desk.server, None, content=content, headers={"content-type": "application/json"})
        assert_error(r, 400, "bad_request")
    assert desk.waiting() == 0


@pytest.mark.parametrize("account", ["no-such-account", "meta-demo", "twilio-demo"])
def test_an_unknown_or_non_sandbox_account_is_404_and_stores_nothing(desk: Desk, account: str) -> None:
    marker = f"lost-{uuid.uuid4().hex}"
    r = _post(desk.server, {"id": new_id(), "from": new_phone(), "text": marker}, account=account)
    assert_error(r, 404, "not_found")
    assert _found(desk, marker) == 0
    assert desk.waiting() == 0


def test_the_webhook_takes_post_only(desk: Desk) -> None:
    assert_error(httpx.get(f"{desk.server.base}/webhooks/sandbox/sandbox"), 405)
