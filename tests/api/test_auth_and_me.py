"""Sign-in, sessions and the agent's own desk: /auth, /me, /me/state, /queues, /healthz (SPEC D1, D2, R6)."""
from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import QUEUE, Desk, assert_error, eventually, new_phone
from tests.serverproc import Api, ServerProcess


def test_healthz_answers_ok(demo_server: ServerProcess) -> None:
    r = httpx.get(demo_server.base + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_login_returns_a_token_that_signs_in(demo_server: ServerProcess) -> None:
    client = httpx.Client(base_url=demo_server.base + "/api/v1")
    r = client.post("/auth/login", json={"username": "agent3", "password": "demo"})
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 20
    assert body["username"] == "agent3" and body["role"] == "agent"
    me = client.get("/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "agent3"


def test_usernames_are_not_case_sensitive_at_login(demo_server: ServerProcess) -> None:
    r = httpx.post(demo_server.base + "/api/v1/auth/login", json={"username": " AGENT3 ", "password": "demo"})
    assert r.status_code == 200 and r.json()["username"] == "agent3"


def test_each_login_gets_its_own_token(demo_server: ServerProcess) -> None:
    tokens = {httpx.post(demo_server.base + "/api/v1/auth/login",
                         json={"username": "agent4", "password": "demo"}).json()["token"] for _ in range(2)}
    assert len(tokens) == 2


@pytest.mark.parametrize("username,password", [("agent1", "wrong"), ("nobody", "demo"), ("agent1", ""),
                                               ("", "")])
def test_login_with_bad_credentials_is_401(demo_server: ServerProcess, username: str, password: str) -> None:
    r = httpx.post(demo_server.base + "/api/v1/auth/login", json={"username": username, "password": password})
    assert_error(r, 401, "bad_credentials")
    assert "token" not in r.text


@pytest.mark.parametrize("body", [{}, {"username": "agent1"}, {"password": "demo"}, [], {"username": 1}])
def test_login_with_a_malformed_body_is_422(demo_server: ServerProcess, body: object) -> None:
    r = httpx.post(demo_server.base + "/api/v1/auth/login", json=body)
    assert_error(r, 422, "invalid")


def test_login_with_a_non_json_body_is_422(demo_server: ServerProcess) -> None:
    r = httpx.post(demo_server.base + "/api/v1/auth/login", content=b"username=agent1",
                   headers={"content-type": "application/json"})
    assert_error(r, 422, "invalid")


@pytest.mark.parametrize("method,path", [
    ("GET", "/me"), ("PUT", "/me/state"), ("GET", "/queues"), ("GET", "/offers"),
    ("POST", "/interactions/1/accept"), ("POST", "/interactions/1/reject"), ("GET", "/interactions"),
    ("GET", "/interactions/1"), ("GET", "/interactions/1/messages"), ("POST", "/interactions/1/messages"),
    ("POST", "/interactions/1/notes"), ("POST", "/interactions/1/read"), ("POST", "/interactions/1/close"),
    ("POST", "/interactions/1/transfer"), ("GET", "/admin/users"), ("POST", "/admin/users"),
    ("GET", "/admin/settings"), ("PUT", "/admin/settings"), ("POST", "/auth/logout"),
])
def test_every_endpoint_needs_a_session(demo_server: ServerProcess, method: str, path: str) -> None:
    url = demo_server.base + "/api/v1" + path
    body = {"state": "online", "text": "x", "agent": "agent2", "username": "zed", "password": "x" * 10}
    assert_error(httpx.request(method, url, json=body), 401)
    assert_error(httpx.request(method, url, json=body, headers={"Authorization": "Bearer not-a-token"}), 401)
    assert_error(httpx.request(method, url, json=body, headers={"Authorization": "Basic YWdlbnQxOmRlbW8="}), 401)


def test_logout_ends_that_session_only(demo_server: ServerProcess) -> None:
    first, second = Api(demo_server.base, "agent2"), Api(demo_server.base, "agent2")
    r = first.post("/auth/logout")
    assert r.status_code == 200
    assert r.json() == {"status": "signed_out"}
    assert_error(first.get("/me"), 401, "session_ended")
    assert_error(first.post("/auth/logout"), 401)
    assert second.get("/me").status_code == 200


def test_me_describes_the_signed_in_user(desk: Desk) -> None:
    me = desk.me("agent1")
    assert me["username"] == "agent1" and me["role"] == "agent"
    assert me["full_name"] == "Alice Agent"
    assert me["state"] == "offline" and me["reason"] is None
    assert me["capacity"] == 5
    assert me["open_interactions"] == [] and me["unread_total"] == 0
    assert me["queues"] == [QUEUE]
    sup = desk.me("supervisor")
    assert sup["role"] == "supervisor" and sup["queues"] == [] and sup["open_interactions"] == []
    assert desk.me("admin")["role"] == "admin"


def test_state_changes_online_paused_offline(desk: Desk) -> None:
    assert desk.set_state("agent1", "online") == {"state": "online", "reason": None}
    assert desk.me("agent1")["state"] == "online"
    assert desk.set_state("agent1", "paused", "Lunch") == {"state": "paused", "reason": "Lunch"}
    me = desk.me("agent1")
    assert (me["state"], me["reason"]) == ("paused", "Lunch")
    assert desk.set_state("agent1", "online", "ignored") == {"state": "online", "reason": None}
    assert desk.set_state("agent1", "offline") == {"state": "offline", "reason": None}
    assert desk.me("agent1")["state"] == "offline"


@pytest.mark.parametrize("body", [{"state": "sleeping"}, {"state": "paused", "reason": "x" * 101}, {},
                                  {"state": None}, {"reason": "Lunch"}])
def test_invalid_state_change_is_422_and_changes_nothing(desk: Desk, body: dict) -> None:
    desk.online("agent1")
    assert_error(desk["agent1"].put("/me/state", json=body), 422, "invalid")
    assert desk.me("agent1")["state"] == "online"


def test_users_without_a_desk_cannot_change_state(desk: Desk) -> None:
    for username in ("supervisor", "admin"):
        assert_error(desk[username].put("/me/state", json={"state": "online"}), 403, "no_desk")
        assert desk[username].get("/offers").json() == {"items": [], "total": 0}


def test_queues_show_mine_with_waiting_and_online_agents(desk: Desk) -> None:
    r = desk["agent1"].get("/queues")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1 and [q["name"] for q in body["items"]] == [QUEUE]
    assert body["items"][0]["waiting"] == 0 and body["items"][0]["agents_online"] == 0

    interaction_id = desk.inbound(new_phone(), "anyone there?")
    queue = eventually(lambda: next((q for q in desk["agent1"].get("/queues").json()["items"]
                                      if q["waiting"] == 1), None), what="one waiting")
    assert queue["offers_in_flight"] == 0  # nobody is online to be offered it
    assert desk.waiting() == 1  # the supervisor sees every queue

    desk.online("agent1", "agent2")
    desk["agent1"].wait_for_offer(interaction_id)
    desk["agent2"].wait_for_offer(interaction_id)
    queue = desk["agent1"].get("/queues").json()["items"][0]
    assert (queue["waiting"], queue["offers_in_flight"], queue["agents_online"]) == (1, 2, 2)

    desk.accept("agent2", interaction_id)
    assert eventually(lambda: desk["agent1"].get("/queues").json()["items"][0]["waiting"] == 0)
    desk.close("agent2", interaction_id)


def test_a_user_created_by_the_admin_is_not_in_any_queue(desk: Desk) -> None:
    r = desk.admin.post("/admin/users", json={"username": "nqagent", "password": "long-password", "role": "agent"})
    assert r.status_code == 201, r.text
    newcomer = Api(desk.server.base, "nqagent", password="long-password")
    me = newcomer.get("/me").json()
    assert me["queues"] == [] and me["state"] == "offline"
    assert newcomer.get("/queues").json() == {"items": [], "total": 0}
    assert_error(newcomer.put("/me/state", json={"state": "online"}), 403, "no_desk")


def test_unknown_routes_answer_the_error_shape(demo_server: ServerProcess, clients: dict[str, Api]) -> None:
    assert_error(clients["agent1"].get("/no-such-thing"), 404, "not_found")
    assert_error(httpx.get(demo_server.base + "/api/v1/auth/login"), 405)

