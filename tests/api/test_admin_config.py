"""The admin API for queues, accounts, dispositions and canned answers (SPEC A1, A2), with live effect on the
running server's actors: no restart between a change and its effect in any of these tests."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import Desk, assert_error, eventually, new_id, new_phone
from tests.serverproc import Api, ServerProcess
from tests.stored import rows, stored_bytes
from tests.webhooks import signed_meta_text


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _audit(server: ServerProcess, action: str, target: str) -> list[tuple[Any, Any]]:
    found = rows(server, "SELECT before, after FROM audit_entries WHERE action = ? AND target = ? ORDER BY id",
                 action, target)
    return [(json.loads(b) if b else None, json.loads(a) if a else None) for b, a in found]


def _queue(desk: Desk, members: list[str], **rules: Any) -> dict[str, Any]:
    r = desk.admin.post("/admin/queues", json={"name": _unique("Q"), "members": members, **rules})
    assert r.status_code == 201, r.text
    return r.json()


def _sandbox_account(desk: Desk, queue: str) -> str:
    key = _unique("sbx-")
    r = desk.admin.post("/admin/accounts", json={"key": key, "provider": "sandbox", "queue": queue})
    assert r.status_code == 201, r.text
    return key


def _inbound(desk: Desk, account: str) -> int:
    r = desk.admin.inbound(new_id(), new_phone(), "hello", account=account)
    assert r.status_code == 200 and r.json()["status"] == "stored", r.text
    return r.json()["interaction_id"]


def _offer(api: Api, interaction_id: int) -> dict[str, Any]:
    return api.wait_for_offer(interaction_id)


def _take_and_close(desk: Desk, username: str, interaction_id: int) -> None:
    desk.accept(username, interaction_id)
    desk.close(username, interaction_id)


# --- queues --------------------------------------------------------------------------------------------


def test_queue_crud_validation_and_audit(desk: Desk, demo_server: ServerProcess) -> None:
    admin = desk.admin
    name = _unique("Sales")
    r = admin.post("/admin/queues", json={"name": name, "strategy": "round_robin", "weight": 3, "offer_timeout": 20,
                                          "members": ["agent2", "agent1", "agent1"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created == {"id": created["id"], "name": name, "strategy": "round_robin", "weight": 3, "offer_timeout": 20,
                       "reoffer_delay": 60, "capacity": 5, "target_seconds": 60, "members": ["agent1", "agent2"],
                       "supervisors": [], "accounts": []}
    assert admin.get(f"/admin/queues/{name}").json() == created
    assert admin.get(f"/admin/queues/{created['id']}").json() == created
    listed = admin.get("/admin/queues").json()
    assert listed["total"] == len(listed["items"]) and created in listed["items"]
    assert "WhatsAppConn1" in [q["name"] for q in listed["items"]]

    assert_error(admin.post("/admin/queues", json={"name": name}), 409, "exists")
    bad = [({"name": ""}, "name"), ({"name": "123"}, "name"),
           ({"name": _unique("Q"), "strategy": "random"}, "strategy"),
           ({"name": _unique("Q"), "offer_timeout": 2}, "offer_timeout"),
           ({"name": _unique("Q"), "capacity": True}, "capacity"),
           ({"name": _unique("Q"), "members": ["agent1", "nobody-here"]}, "nobody-here"),
           ({"name": _unique("Q"), "members": "agent1"}, "members"), ({"name": _unique("Q"), "colour": 1}, "colour")]
    for body, named in bad:
        assert named in assert_error(admin.post("/admin/queues", json=body), 422)["message"], body
    assert_error(admin.post("/admin/queues", json=["x"]), 422)

    r = admin.patch(f"/admin/queues/{name}", json={"offer_timeout": 45, "strategy": "least_busy", "target_seconds": 30})
    assert r.status_code == 200, r.text
    assert r.json() == {**created, "offer_timeout": 45, "strategy": "least_busy", "target_seconds": 30}
    assert "PUT" in assert_error(admin.patch(f"/admin/queues/{name}", json={"members": []}), 422)["message"]
    assert_error(admin.patch(f"/admin/queues/{name}", json={"name": "Other"}), 422)
    assert_error(admin.patch(f"/admin/queues/{name}", json={"reoffer_delay": -1}), 422)
    assert_error(admin.patch(f"/admin/queues/{name}", json={}), 422)
    assert_error(admin.patch("/admin/queues/NoSuchQueue", json={"weight": 1}), 404)
    assert admin.get(f"/admin/queues/{name}").json()["offer_timeout"] == 45  # the refused changes changed nothing

    r = admin.put(f"/admin/queues/{name}/members", json={"members": ["agent3"]})
    assert r.status_code == 200 and r.json()["members"] == ["agent3"], r.text
    assert_error(admin.put(f"/admin/queues/{name}/members", json={"members": ["ghost"]}), 422)
    assert_error(admin.put(f"/admin/queues/{name}/members", json={}), 422)

    [(before, after)] = _audit(demo_server, "queue.update", f"queue {name}")
    assert before["offer_timeout"] == 20 and after["offer_timeout"] == 45
    assert _audit(demo_server, "queue.members", f"queue {name}") == [
        ({"members": ["agent1", "agent2"]}, {"members": ["agent3"]})]
    assert _audit(demo_server, "queue.create", f"queue {name}")[0][1]["members"] == ["agent1", "agent2"]

    r = admin.delete(f"/admin/queues/{name}")
    assert r.status_code == 204, r.text
    assert_error(admin.get(f"/admin/queues/{name}"), 404)
    assert _audit(demo_server, "queue.delete", f"queue {name}")[0][0]["members"] == ["agent3"]
    assert name not in desk.me("agent3")["queues"]
    # the desk that left the deleted queue still works in its other queue
    desk.online("agent3")
    _take_and_close(desk, "agent3", desk.inbound(new_phone()))


def test_a_queue_that_routes_accounts_or_has_history_is_not_deleted(desk: Desk) -> None:
    queue = _queue(desk, ["agent1"])
    account = _sandbox_account(desk, queue["name"])
    assert desk.admin.get(f"/admin/queues/{queue['name']}").json()["accounts"] == [account]
    assert account in assert_error(desk.admin.delete(f"/admin/queues/{queue['name']}"), 409, "in_use")["message"]
    desk.online("agent1")
    interaction_id = _inbound(desk, account)
    _offer(desk["agent1"], interaction_id)
    desk.admin.patch(f"/admin/accounts/{account}", json={"queue": "WhatsAppConn1"})
    assert_error(desk.admin.delete(f"/admin/queues/{queue['name']}"), 409, "in_use")  # one open interaction
    _take_and_close(desk, "agent1", interaction_id)
    assert_error(desk.admin.delete(f"/admin/queues/{queue['name']}"), 409, "in_use")  # its history stays
    assert_error(desk.admin.delete(f"/admin/accounts/{account}"), 409, "in_use")
    assert desk.admin.get(f"/admin/queues/{queue['name']}").status_code == 200


def test_a_queue_created_via_the_api_routes_a_webhook_to_a_member_added_via_the_api(desk: Desk) -> None:
    queue = _queue(desk, ["agent1"])
    account = _sandbox_account(desk, queue["name"])
    desk.online("agent1", "agent2")
    interaction_id = _inbound(desk, account)
    offer = _offer(desk["agent1"], interaction_id)
    assert offer["queue"] == queue["name"] and offer["kind"] == "new"
    desk.no_offer_for("agent2", interaction_id, wait=0.3)  # not a member yet

    r = desk.admin.put(f"/admin/queues/{queue['name']}/members", json={"members": ["agent1", "agent2"]})
    assert r.status_code == 200, r.text
    assert _offer(desk["agent2"], interaction_id)["queue"] == queue["name"]  # ring-all: the new member too
    assert queue["name"] in desk.me("agent2")["queues"]

    r = desk.admin.put(f"/admin/queues/{queue['name']}/members", json={"members": ["agent2"]})
    assert r.status_code == 200, r.text
    eventually(lambda: interaction_id not in desk.offer_ids("agent1"), what="the removed member's offer withdrawn")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 409)
    assert interaction_id in desk.offer_ids("agent2")
    second = _inbound(desk, account)
    _offer(desk["agent2"], second)
    desk.no_offer_for("agent1", second, wait=0.3)  # a removed member gets no new offers
    _take_and_close(desk, "agent2", second)

    desk.accept("agent2", interaction_id)
    r = desk.admin.put(f"/admin/queues/{queue['name']}/members", json={"members": []})
    assert r.status_code == 200 and r.json()["members"] == []
    assert interaction_id in desk.me("agent2")["open_interactions"]  # what they own stays theirs
    assert desk["agent2"].post(f"/interactions/{interaction_id}/messages", json={"text": "still here"}).status_code \
        in (200, 201)
    desk.close("agent2", interaction_id)


def test_a_user_without_a_desk_gets_one_by_joining_a_first_queue(desk: Desk, demo_server: ServerProcess) -> None:
    username = _unique("newagent").lower()
    r = desk.admin.post("/admin/users", json={"username": username, "password": "password1", "role": "agent"})
    assert r.status_code == 201, r.text
    newcomer = Api(demo_server.base, username, password="password1")
    try:
        assert_error(newcomer.put("/me/state", json={"state": "online"}), 403, "no_desk")
        queue = _queue(desk, [])
        account = _sandbox_account(desk, queue["name"])
        r = desk.admin.put(f"/admin/queues/{queue['name']}/members", json={"members": [username]})
        assert r.status_code == 200, r.text
        assert newcomer.put("/me/state", json={"state": "online"}).status_code == 200
        interaction_id = _inbound(desk, account)
        assert _offer(newcomer, interaction_id)["queue"] == queue["name"]
        assert newcomer.post(f"/interactions/{interaction_id}/accept").status_code == 200
        assert newcomer.post(f"/interactions/{interaction_id}/close", json={}).status_code == 200
        assert newcomer.put("/me/state", json={"state": "offline"}).status_code == 200
    finally:
        newcomer.client.close()


def test_changed_rules_apply_to_the_next_offer(desk: Desk) -> None:
    queue = _queue(desk, ["agent4"])
    account = _sandbox_account(desk, queue["name"])
    desk.online("agent4")
    first = _inbound(desk, account)
    assert _offer(desk["agent4"], first)["expires_in"] > 20  # the default 30 s
    r = desk.admin.patch(f"/admin/queues/{queue['name']}", json={"offer_timeout": 5})
    assert r.status_code == 200, r.text
    second = _inbound(desk, account)
    assert _offer(desk["agent4"], second)["expires_in"] <= 5
    started = time.time()
    eventually(lambda: second not in desk.offer_ids("agent4"), timeout=8, what="the 5 s offer timed out")
    assert time.time() - started < 7
    _take_and_close(desk, "agent4", first)
    # agent4 let it time out (not offered again before the reoffer delay): a member added now takes it
    desk.online("agent3")
    assert desk.admin.put(f"/admin/queues/{queue['name']}/members",
                          json={"members": ["agent3", "agent4"]}).status_code == 200
    assert _offer(desk["agent3"], second)["expires_in"] <= 5
    _take_and_close(desk, "agent3", second)


# --- users: own capacity, disabling ---------------------------------------------------------------------


def _new_agent(desk: Desk, demo_server: ServerProcess, **fields: Any) -> tuple[str, Api]:
    username = _unique("cap").lower()
    r = desk.admin.post("/admin/users", json={"username": username, "password": "password1", **fields})
    assert r.status_code == 201, r.text
    return username, Api(demo_server.base, username, password="password1")


def _board_agent(desk: Desk, username: str) -> dict[str, Any]:
    return next(a for a in desk.admin.get("/supervisor/board").json()["agents"] if a["username"] == username)


def test_an_agents_own_capacity_applies_to_the_next_offer_and_withdraws_what_no_longer_fits(
        desk: Desk, demo_server: ServerProcess) -> None:
    username, agent = _new_agent(desk, demo_server, capacity=1)
    try:
        queue = _queue(desk, [username])  # the queue's capacity per agent: 5
        account = _sandbox_account(desk, queue["name"])
        assert agent.put("/me/state", json={"state": "online"}).status_code == 200
        assert agent.get("/me").json()["capacity"] == 1
        first = _inbound(desk, account)
        _offer(agent, first)
        assert agent.post(f"/interactions/{first}/accept").status_code == 200
        second = _inbound(desk, account)
        time.sleep(0.4)
        assert second not in [o["interaction_id"] for o in agent.get("/offers").json()["items"]]  # full

        r = desk.admin.patch(f"/admin/users/{username}", json={"capacity": 2})
        assert r.status_code == 200 and r.json()["capacity"] == 2, r.text
        _offer(agent, second)  # a freed slot goes to the waiter at once
        assert _board_agent(desk, username)["capacity"] == 2
        assert agent.post(f"/interactions/{second}/accept").status_code == 200

        r = desk.admin.patch(f"/admin/users/{username}", json={"capacity": None})
        assert r.status_code == 200 and r.json()["capacity"] is None
        eventually(lambda: agent.get("/me").json()["capacity"] == 5, what="the queue's capacity applies")
        third = _inbound(desk, account)
        _offer(agent, third)
        assert desk.admin.patch(f"/admin/users/{username}", json={"capacity": 2}).status_code == 200
        eventually(lambda: third not in [o["interaction_id"] for o in agent.get("/offers").json()["items"]],
                   what="the offer that no longer fits is withdrawn")
        eventually(lambda: _board_agent(desk, username)["offers"] == 0, what=f"board: {_board_agent(desk, username)}")
        assert desk.admin.patch(f"/admin/users/{username}", json={"capacity": 3}).status_code == 200
        _offer(agent, third)
        assert _audit(demo_server, "user.update", f"user {username}")[0][0]["capacity"] == 1
        assert _audit(demo_server, "user.update", f"user {username}")[0][1]["capacity"] == 2
        for interaction_id in (first, second):
            assert agent.post(f"/interactions/{interaction_id}/close", json={}).status_code == 200
        assert agent.post(f"/interactions/{third}/accept").status_code == 200
        assert agent.post(f"/interactions/{third}/close", json={}).status_code == 200
        assert agent.put("/me/state", json={"state": "offline"}).status_code == 200
    finally:
        agent.client.close()


def test_an_agents_own_capacity_above_the_queues_applies(desk: Desk, demo_server: ServerProcess) -> None:
    username, agent = _new_agent(desk, demo_server, capacity=2)
    try:
        queue = _queue(desk, [username], capacity=1)
        account = _sandbox_account(desk, queue["name"])
        assert agent.put("/me/state", json={"state": "online"}).status_code == 200
        taken = []
        for _ in range(2):  # the queue says 1 per agent; theirs says 2
            interaction_id = _inbound(desk, account)
            _offer(agent, interaction_id)
            assert agent.post(f"/interactions/{interaction_id}/accept").status_code == 200
            taken.append(interaction_id)
        assert desk.admin.patch(f"/admin/users/{username}", json={"capacity": None}).status_code == 200
        assert agent.post(f"/interactions/{taken[0]}/close", json={}).status_code == 200
        waiting = _inbound(desk, account)
        time.sleep(0.4)
        assert waiting not in [o["interaction_id"] for o in agent.get("/offers").json()["items"]]  # the queue's 1
        assert agent.post(f"/interactions/{taken[1]}/close", json={}).status_code == 200
        _offer(agent, waiting)
        assert agent.post(f"/interactions/{waiting}/accept").status_code == 200
        assert agent.post(f"/interactions/{waiting}/close", json={}).status_code == 200
        assert agent.put("/me/state", json={"state": "offline"}).status_code == 200
    finally:
        agent.client.close()


@pytest.mark.parametrize("capacity", [0, 101, "3", 2.5, True, [2]])
def test_a_bad_capacity_is_refused_and_changes_nothing(desk: Desk, capacity: Any) -> None:
    before = desk.admin.get("/admin/users").json()["items"]
    assert_error(desk.admin.patch("/admin/users/agent5", json={"capacity": capacity}), 422)
    assert_error(desk.admin.post("/admin/users", json={"username": _unique("bad"), "password": "password1",
                                                       "capacity": capacity}), 422)
    assert desk.admin.get("/admin/users").json()["items"] == before


def _queue_row(desk: Desk, name: str) -> dict[str, Any]:
    return next(q for q in desk.admin.get("/supervisor/board").json()["queues"] if q["name"] == name)


def test_a_disabled_agent_goes_offline_and_what_they_held_goes_to_the_others(
        desk: Desk, demo_server: ServerProcess) -> None:
    username, agent = _new_agent(desk, demo_server)
    try:
        queue = _queue(desk, [username, "agent5"], strategy="round_robin")
        account = _sandbox_account(desk, queue["name"])
        assert agent.put("/me/state", json={"state": "online"}).status_code == 200
        owned = _inbound(desk, account)
        _offer(agent, owned)
        assert agent.post(f"/interactions/{owned}/accept").status_code == 200
        offered = _inbound(desk, account)
        _offer(agent, offered)  # round robin: the only one online holds it
        eventually(lambda: _queue_row(desk, queue["name"])["answered_today"] == 1)

        assert desk.admin.patch(f"/admin/users/{username}", json={"disabled": True}).status_code == 200
        assert_error(agent.get("/me"), 401)
        eventually(lambda: _board_agent(desk, username)["state"] == "offline", what="the desk went offline")
        eventually(lambda: (a := _board_agent(desk, username))["offers"] == 0 and a["open"] == 0,
                   what="their offer withdrawn, their conversation back in the queue")
        assert _queue_row(desk, queue["name"])["waiting"] == 2
        assert desk.get(owned)["owner"] is None

        desk.online("agent5")
        for interaction_id in (owned, offered):  # the returned one is offered like any waiting one
            assert _offer(desk["agent5"], interaction_id)["queue"] == queue["name"]
            desk.accept("agent5", interaction_id)
        eventually(lambda: _queue_row(desk, queue["name"])["answered_today"] == 2,
                   what="answered once each, however often it came back")
        assert "returned" in desk.history_kinds(owned)
        assert desk.get(owned)["owner"] == "agent5"
        for interaction_id in (owned, offered):
            desk.close("agent5", interaction_id)
        desk.offline("agent5")
        assert desk.admin.patch(f"/admin/users/{username}", json={"disabled": False}).status_code == 200
        again = Api(demo_server.base, username, password="password1")
        try:
            assert again.get("/me").json()["state"] == "offline"
        finally:
            again.client.close()
    finally:
        agent.client.close()


# --- accounts ------------------------------------------------------------------------------------------


def test_account_credentials_are_masked_encrypted_and_a_new_app_secret_applies_at_once(
        desk: Desk, demo_server: ServerProcess) -> None:
    queue = _queue(desk, ["agent5"])
    key = _unique("meta-")
    old_secret, new_secret = f"old-secret-{uuid.uuid4().hex}", f"new-secret-{uuid.uuid4().hex}"
    token, verify = f"token-{uuid.uuid4().hex}", f"verify-{uuid.uuid4().hex}"
    secrets = [old_secret, new_secret, token, verify]
    answers: list[httpx.Response] = []

    missing = desk.admin.post("/admin/accounts", json={"key": key, "provider": "meta", "queue": queue["name"],
                                                       "credentials": {"app_secret": old_secret}})
    assert "access_token" in assert_error(missing, 422)["message"]
    r = desk.admin.post("/admin/accounts", json={
        "key": key, "provider": "meta", "queue": queue["name"], "name": "Meta test", "phone_number": "+393331234567",
        "window_hours": 48, "recontact_template": "recontact",
        "credentials": {"app_secret": old_secret, "verify_token": verify, "access_token": token,
                        "phone_number_id": "555"}})
    assert r.status_code == 201, r.text
    answers.append(r)
    created = r.json()
    assert {k: created[k] for k in ("key", "provider", "name", "phone_number", "queue", "window_hours",
                                    "recontact_template", "api_base_url")} == {
        "key": key, "provider": "meta", "name": "Meta test", "phone_number": "+393331234567", "queue": queue["name"],
        "window_hours": 48, "recontact_template": "recontact", "api_base_url": ""}
    assert created["credentials"]["app_secret"] == {"set": True, "hint": "••••" + old_secret[-4:], "required": True}
    assert created["credentials"]["waba_id"] == {"set": False, "hint": None, "required": False}

    desk.online("agent5")
    phone = new_phone()
    r = signed_meta_text(demo_server.base, key, old_secret, phone)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    interaction_id = eventually(lambda: next((o["interaction_id"] for o in desk["agent5"].get("/offers").json()["items"]
                                              if o["queue"] == queue["name"]), None), what="the meta offer")

    r = desk.admin.patch(f"/admin/accounts/{key}", json={"credentials": {"app_secret": new_secret}})
    assert r.status_code == 200, r.text
    answers.append(r)
    assert r.json()["credentials"]["app_secret"]["hint"] == "••••" + new_secret[-4:]
    assert r.json()["credentials"]["verify_token"]["set"] is True  # omitted: kept
    assert signed_meta_text(demo_server.base, key, old_secret, phone).status_code == 403
    assert signed_meta_text(demo_server.base, key, new_secret, phone).status_code == 200
    handshake = httpx.get(f"{demo_server.base}/webhooks/meta/{key}",
                          params={"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "42"})
    assert handshake.status_code == 200 and handshake.text == "42"

    answers += [desk.admin.get(f"/admin/accounts/{key}"), desk.admin.get("/admin/accounts")]
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"credentials": {"app_secret": None}}), 422)
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"credentials": {"auth_token": "x"}}), 422)
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"provider": "twilio"}), 422)
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"window_hours": 1000}), 422)
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"recontact_template": "no-such-template"}), 404)
    assert_error(desk.admin.patch(f"/admin/accounts/{key}", json={"queue": "NoSuchQueue"}), 404)
    r = desk.admin.patch(f"/admin/accounts/{key}", json={"credentials": {"waba_id": "WABA-9"}, "window_hours": None})
    assert r.status_code == 200 and r.json()["window_hours"] is None, r.text
    answers.append(r)
    assert signed_meta_text(demo_server.base, key, new_secret, phone).status_code == 200  # still the new secret

    for answer in answers:
        for secret in secrets:
            assert secret not in answer.text
    stored = stored_bytes(demo_server)
    for secret in [*secrets, "demo-app-secret", "demo-auth-token"]:
        assert secret.encode() not in stored, "a credential is stored in clear"
    [(raw,)] = rows(demo_server, "SELECT credentials FROM accounts WHERE key = ?", key)
    assert list(json.loads(raw)) == ["sealed"]
    for before, after in _audit(demo_server, "account.update", f"account {key}"):
        assert not any(s in json.dumps([before, after]) for s in secrets)
    assert _audit(demo_server, "account.update", f"account {key}")[0][1]["credentials_changed"] == ["app_secret"]

    _take_and_close(desk, "agent5", interaction_id)
    assert_error(desk.admin.delete(f"/admin/accounts/{key}"), 409, "in_use")


def test_account_validation_and_delete(desk: Desk, demo_server: ServerProcess) -> None:
    admin = desk.admin
    base = {"provider": "twilio", "queue": "WhatsAppConn1",
            "credentials": {"account_sid": "AC" + "1" * 32, "auth_token": "tok-" + uuid.uuid4().hex}}
    for body, field in [({"key": "1abc"}, "key"), ({"key": _unique("k"), "provider": "smoke"}, "provider"),
                        ({"key": _unique("k"), "phone_number": "12"}, "phone_number"),
                        ({"key": _unique("k"), "api_base_url": "ftp://x"}, "api_base_url"),
                        ({"key": _unique("k"), "credentials": {"account_sid": "AC1", "auth_token": ""}}, "auth_token"),
                        ({"key": _unique("k"), "secret": "x"}, "secret")]:
        assert field in assert_error(admin.post("/admin/accounts", json={**base, **body}), 422)["message"], body
    assert_error(admin.post("/admin/accounts", json={**base, "key": _unique("k"), "queue": "NoSuchQueue"}), 404)
    assert_error(admin.post("/admin/accounts", json={**base, "key": "sandbox"}), 409, "exists")
    key = _unique("tw-")
    r = admin.post("/admin/accounts", json={**base, "key": key, "api_base_url": "http://127.0.0.1:9/"})
    assert r.status_code == 201 and r.json()["api_base_url"] == "http://127.0.0.1:9", r.text
    assert set(r.json()["credentials"]) == {"account_sid", "auth_token"}
    demo = admin.get("/admin/accounts/meta-demo").json()
    assert demo["credentials"]["app_secret"] == {"set": True, "hint": "••••cret", "required": True}
    assert admin.delete(f"/admin/accounts/{key}").status_code == 204
    assert_error(admin.get(f"/admin/accounts/{key}"), 404)
    assert _audit(demo_server, "account.delete", f"account {key}")[0][0]["credentials"] == ["account_sid",
                                                                                            "auth_token"]
    assert_error(admin.delete("/admin/accounts/sandbox"), 409, "in_use")


# --- dispositions and canned answers -------------------------------------------------------------------


def test_dispositions_crud_and_a_used_one_stays(desk: Desk, demo_server: ServerProcess) -> None:
    admin = desk.admin
    name = _unique("Callback ")
    r = admin.post("/admin/dispositions", json={"name": name})
    assert r.status_code == 201 and r.json()["name"] == name, r.text
    assert_error(admin.post("/admin/dispositions", json={"name": name}), 409, "exists")
    assert_error(admin.post("/admin/dispositions", json={"name": "  "}), 422)
    assert_error(admin.post("/admin/dispositions", json={"name": "42"}), 422)
    assert name in [d["name"] for d in admin.get("/admin/dispositions").json()["items"]]
    renamed = name + " later"
    r = admin.patch(f"/admin/dispositions/{name}", json={"name": renamed})
    assert r.status_code == 200 and r.json()["name"] == renamed
    assert_error(admin.patch(f"/admin/dispositions/{renamed}", json={"name": "Resolved"}), 409, "exists")
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    desk.close("agent1", interaction_id, disposition=renamed)  # agents close with it at once
    assert_error(admin.delete(f"/admin/dispositions/{renamed}"), 409, "in_use")
    spare = admin.post("/admin/dispositions", json={"name": _unique("Spare ")}).json()
    assert admin.delete(f"/admin/dispositions/{spare['id']}").status_code == 204
    assert_error(admin.delete(f"/admin/dispositions/{spare['id']}"), 404)
    assert _audit(demo_server, "disposition.update", f"disposition {renamed}") == [
        ({"id": r.json()["id"], "name": name}, {"id": r.json()["id"], "name": renamed})]


def test_canned_answers_crud_and_placeholders(desk: Desk, demo_server: ServerProcess) -> None:
    admin = desk.admin
    name = _unique("Refund ")
    body = "Hi {first_name}, {agent_name} here: your refund is on its way."
    r = admin.post("/admin/canned-answers", json={"name": name, "body": body})
    assert r.status_code == 201 and r.json()["body"] == body, r.text
    bad = admin.post("/admin/canned-answers", json={"name": _unique("X"), "body": "Dear {customer}"})
    assert "{customer}" in assert_error(bad, 422)["message"]
    assert_error(admin.post("/admin/canned-answers", json={"name": _unique("X"), "body": "x" * 4097}), 422)
    assert_error(admin.post("/admin/canned-answers", json={"name": name, "body": "again"}), 409, "exists")
    r = admin.patch(f"/admin/canned-answers/{name}", json={"body": "Thanks {full_name}!"})
    assert r.status_code == 200 and r.json() == {"id": r.json()["id"], "name": name, "body": "Thanks {full_name}!"}
    assert_error(admin.patch(f"/admin/canned-answers/{name}", json={"title": "x"}), 422)
    assert {"id": r.json()["id"], "name": name, "body": "Thanks {full_name}!"} in \
        admin.get("/admin/canned-answers").json()["items"]
    assert admin.delete(f"/admin/canned-answers/{name}").status_code == 204
    assert_error(admin.delete(f"/admin/canned-answers/{name}"), 404)
    assert [a for _, a in _audit(demo_server, "canned.update", f"canned answer {name}")] == [
        {"id": r.json()["id"], "name": name, "body": "Thanks {full_name}!"}]


# --- settings (SPEC A2) reach live work at once --------------------------------------------------------


def test_attachment_settings_apply_to_the_next_upload(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    path = f"/interactions/{interaction_id}/messages"
    pdf = b"%PDF-1.4\n" + bytes(int(1.5 * 2**20))
    try:
        assert desk.admin.put("/admin/settings", json={"attachments": {"max_mb": 1}}).status_code == 200
        too_big = desk["agent1"].post(path, files={"file": ("big.pdf", pdf, "application/pdf")})
        assert "1 MB" in assert_error(too_big, 413, "too_large")["message"]  # refused while it streams
        assert desk.admin.put("/admin/settings", json={"attachments": {"enabled": False, "max_mb": 15}}).status_code \
            == 200
        assert_error(desk["agent1"].post(path, files={"file": ("big.pdf", pdf, "application/pdf")}), 409,
                     "attachments_disabled")
    finally:
        restored = desk.admin.put("/admin/settings", json={"attachments": {"enabled": True, "max_mb": 15}})
        assert restored.json()["attachments"] == {"enabled": True, "max_mb": 15}
    assert desk["agent1"].post(path, files={"file": ("big.pdf", pdf, "application/pdf")}).status_code in (200, 201)
    desk.close("agent1", interaction_id)


@pytest.mark.parametrize("setting", [{"max_tabs": 0}, {"attachments": {"max_mb": 26}}, {"agent_timeout": 2}])
def test_settings_out_of_range_are_refused(desk: Desk, setting: dict[str, Any]) -> None:
    before = desk.admin.get("/admin/settings").json()
    assert_error(desk.admin.put("/admin/settings", json=setting), 422)
    assert desk.admin.get("/admin/settings").json() == before
