"""The interactions list with its filters and paging (SPEC L1, L2), and the admin API (SPEC A1, A2)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.api.conftest import Desk, assert_error, new_phone
from tests.serverproc import Api


def _ids(desk: Desk, username: str = "supervisor", **params: Any) -> list[int]:
    r = desk[username].get("/interactions", params=params)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def _marker() -> str:
    return "zq" + uuid.uuid4().hex[:10]


def test_agents_list_their_own_supervisors_and_admins_list_all(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    marker = _marker()
    mine = desk.open_for("agent1", name=f"Mine {marker}")
    theirs = desk.open_for("agent2", name=f"Theirs {marker}")
    waiting = desk.inbound(new_phone(), name=f"Waiting {marker}")
    assert set(_ids(desk, "agent1", q=marker)) == {mine}
    assert set(_ids(desk, "agent2", q=marker)) == {theirs}
    assert set(_ids(desk, "agent1", q=marker, agent="agent2")) == set()  # a filter never widens what I see
    for reader in ("supervisor", "admin"):
        assert set(_ids(desk, reader, q=marker)) == {mine, theirs, waiting}
    body = desk.sup.get("/interactions", params={"q": marker}).json()
    assert body["total"] == 3 and body["page"] == 1 and body["page_size"] == 25
    row = next(i for i in body["items"] if i["id"] == mine)
    for key in ("id", "status", "owner", "unread", "queue", "account", "contact", "created_at", "first_agent",
                "last_message", "tags"):
        assert key in row
    assert row["owner"] == "agent1" and row["status"] == "open" and row["account"] == "sandbox"
    assert row["last_message"] == {"direction": "in", "text": "hello"}
    desk.close("agent1", mine)
    desk.close("agent2", theirs)
    desk.online("agent3")
    desk.accept("agent3", waiting)
    desk.close("agent3", waiting)


def test_status_unread_account_and_agent_filters(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    marker = _marker()
    unread = desk.open_for("agent1", name=f"A {marker}")
    read = desk.open_for("agent1", name=f"B {marker}")
    assert desk["agent1"].post(f"/interactions/{read}/read").json()["unread"] == 0
    closed = desk.open_for("agent2", name=f"C {marker}")
    desk.close("agent2", closed)

    assert set(_ids(desk, q=marker, status="open")) == {unread, read}
    assert set(_ids(desk, q=marker, status="closed")) == {closed}
    assert set(_ids(desk, q=marker, status="open", unread="true")) == {unread}
    assert set(_ids(desk, q=marker, status="open", unread="false")) == {read}
    assert set(_ids(desk, q=marker, unread="true")) == {unread}
    assert set(_ids(desk, q=marker, unread="false")) == {read, closed}
    assert set(_ids(desk, "agent1", q=marker, unread="true")) == {unread}
    assert set(_ids(desk, q=marker, account="sandbox")) == {unread, read, closed}
    assert set(_ids(desk, q=marker, account="meta-demo")) == set()
    assert set(_ids(desk, q=marker, agent="agent1")) == {unread, read}
    assert set(_ids(desk, q=marker, agent="agent2")) == {closed}
    assert set(_ids(desk, q=marker, agent="agent5")) == set()
    assert set(_ids(desk, q=marker, status="open", agent="agent1", unread="true")) == {unread}
    desk.close("agent1", unread)
    desk.close("agent1", read)


def test_the_unread_filter_agrees_with_the_unread_shown(desk: Desk) -> None:
    desk.online("agent1")
    marker = _marker()
    open_unread = desk.open_for("agent1", name=f"U {marker}")
    closed_unread = desk.open_for("agent1", name=f"C {marker}")  # closed without being read
    desk.close("agent1", closed_unread)
    rows = {i["id"]: i for i in desk.sup.get("/interactions", params={"q": marker}).json()["items"]}
    assert rows[open_unread]["unread"] == 1 and rows[closed_unread]["unread"] == 0
    try:
        assert set(_ids(desk, q=marker, unread="true")) == {open_unread}
        assert set(_ids(desk, q=marker, unread="false")) == {closed_unread}
    finally:
        desk.close("agent1", open_unread)


def test_tag_filter_keeps_only_tagged_interactions(desk: Desk) -> None:
    desk.online("agent1")
    marker = _marker()
    interaction_id = desk.open_for("agent1", name=f"T {marker}")
    assert _ids(desk, q=marker) == [interaction_id]
    assert _ids(desk, q=marker, tag="VIP") == []
    assert _ids(desk, q=marker, tag=["VIP", "Sales"]) == []
    assert desk.get(interaction_id)["tags"] == []
    desk.close("agent1", interaction_id)


def test_date_range_filters(desk: Desk) -> None:
    desk.online("agent1")
    marker = _marker()
    interaction_id = desk.open_for("agent1", name=f"D {marker}")
    created = datetime.fromisoformat(desk.get(interaction_id)["created_at"].replace("Z", "+00:00"))
    today = created.astimezone(timezone.utc).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert _ids(desk, q=marker, **{"from": today.isoformat(), "to": today.isoformat()}) == [interaction_id]
    assert _ids(desk, q=marker, **{"from": yesterday.isoformat()}) == [interaction_id]
    assert _ids(desk, q=marker, **{"from": tomorrow.isoformat()}) == []
    assert _ids(desk, q=marker, to=yesterday.isoformat()) == []
    before, after = created - timedelta(seconds=1), created + timedelta(seconds=1)
    assert _ids(desk, q=marker, **{"from": before.isoformat(), "to": after.isoformat()}) == [interaction_id]
    assert _ids(desk, q=marker, **{"from": after.isoformat().replace("+00:00", "Z")}) == []
    assert _ids(desk, q=marker, to=before.isoformat()) == []
    desk.close("agent1", interaction_id)


def test_quick_search_by_name_phone_and_text_but_not_notes(desk: Desk) -> None:
    desk.online("agent1")
    marker = _marker()
    phone = new_phone()
    by_name = desk.open_for("agent1", name=f"Zelda {marker}")
    by_phone = desk.open_for("agent1", phone=phone, name="Nobody Special")
    by_text = desk.open_for("agent1", text=f"my parcel {marker.upper()} is lost")
    noted = desk.open_for("agent1")
    assert desk["agent1"].post(f"/interactions/{noted}/notes", json={"text": f"secret {marker}"}).status_code == 201
    desk["agent1"].post(f"/interactions/{by_name}/messages", json={"text": f"reply {marker}xx"})
    assert set(_ids(desk, q=marker)) == {by_name, by_text}  # case-insensitive; notes are not searched
    assert set(_ids(desk, q=f"  {marker}  ")) == {by_name, by_text}
    assert _ids(desk, q=phone) == [by_phone]
    assert _ids(desk, q=phone[3:]) == [by_phone]  # a part of the number
    for interaction_id in (by_name, by_phone, by_text, noted):
        desk.close("agent1", interaction_id)


def test_paging_is_newest_first_without_overlap(desk: Desk) -> None:
    desk.online("agent1")
    marker = _marker()
    created = [desk.open_for("agent1", name=f"P{n} {marker}") for n in range(5)]
    seen = []
    for page in (1, 2, 3):
        body = desk.sup.get("/interactions", params={"q": marker, "page": page, "page_size": 2}).json()
        assert body["total"] == 5 and body["page"] == page and body["page_size"] == 2
        assert len(body["items"]) == (2 if page < 3 else 1)
        seen += [i["id"] for i in body["items"]]
    assert seen == list(reversed(created))
    beyond = desk.sup.get("/interactions", params={"q": marker, "page": 4, "page_size": 2}).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    for interaction_id in created:
        desk.close("agent1", interaction_id)


@pytest.mark.parametrize("params", [{"status": "pending"}, {"page": 0}, {"page_size": 0}, {"page_size": 201},
                                    {"page": "x"}, {"unread": "maybe"}, {"from": "yesterday"},
                                    {"to": "2024-13-45"}, {"from": "2024-01-01T25:00"}])
def test_invalid_list_filters_are_422(clients: dict[str, Api], params: dict) -> None:
    assert_error(clients["supervisor"].get("/interactions", params=params), 422, "invalid")


# --- admin ---------------------------------------------------------------------------------------

def test_admin_creates_a_user_who_can_sign_in(clients: dict[str, Api], demo_server) -> None:
    admin = clients["admin"]
    r = admin.post("/admin/users", json={"username": "Agent.Six", "password": "s3cret-pass", "role": "agent",
                                         "full_name": "Fiona Six"})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["username"] == "agent.six" and user["role"] == "agent" and user["full_name"] == "Fiona Six"
    assert "password" not in r.text and "password_hash" not in user
    listed = admin.get("/admin/users").json()
    assert listed["total"] == len(listed["items"])
    assert "agent.six" in [u["username"] for u in listed["items"]]
    assert {"admin", "supervisor", "agent1", "agent5"} <= {u["username"] for u in listed["items"]}
    six = Api(demo_server.base, "agent.six", password="s3cret-pass")
    assert six.get("/me").json()["full_name"] == "Fiona Six"
    sup = admin.post("/admin/users", json={"username": "sup2", "password": "another-pass", "role": "supervisor"})
    assert sup.status_code == 201 and sup.json()["role"] == "supervisor"
    assert Api(demo_server.base, "sup2", password="another-pass").get("/me").json()["role"] == "supervisor"
    default = admin.post("/admin/users", json={"username": "plainuser", "password": "another-pass"})
    assert default.status_code == 201 and default.json()["role"] == "agent"


def test_a_taken_username_is_409(clients: dict[str, Api]) -> None:
    r = clients["admin"].post("/admin/users", json={"username": "agent1", "password": "long-enough", "role": "agent"})
    assert_error(r, 409, "exists")
    r = clients["admin"].post("/admin/users", json={"username": "AGENT2", "password": "long-enough"})
    assert_error(r, 409, "exists")


@pytest.mark.parametrize("body", [
    [], "agent", {},
    {"username": "x", "password": "long-enough"},
    {"username": "has space", "password": "long-enough"},
    {"username": "", "password": "long-enough"},
    {"username": "shortpw", "password": "short"},
    {"username": "nopw"},
    {"username": "badrole", "password": "long-enough", "role": "king"},
    {"username": "longname", "password": "long-enough", "full_name": "n" * 129},
])
def test_invalid_users_are_422_and_not_created(clients: dict[str, Api], body: dict) -> None:
    assert_error(clients["admin"].post("/admin/users", json=body), 422, "invalid")
    names = [u["username"] for u in clients["admin"].get("/admin/users").json()["items"]]
    assert len(names) == len(set(names))
    if isinstance(body, dict) and body.get("username"):
        assert str(body["username"]).lower() not in names


def test_admin_api_is_for_admins_only(clients: dict[str, Api]) -> None:
    for username in ("supervisor", "agent1"):
        api = clients[username]
        assert_error(api.get("/admin/users"), 403, "forbidden")
        assert_error(api.post("/admin/users", json={"username": "sneaky", "password": "long-enough",
                                                    "role": "admin"}), 403, "forbidden")
        assert_error(api.get("/admin/settings"), 403, "forbidden")
        assert_error(api.put("/admin/settings", json={"agent_timeout": 60}), 403, "forbidden")
    names = [u["username"] for u in clients["admin"].get("/admin/users").json()["items"]]
    assert "sneaky" not in names
    assert clients["admin"].get("/admin/settings").json()["agent_timeout"] == 300


def test_settings_read_and_partial_update(clients: dict[str, Api]) -> None:
    admin = clients["admin"]
    settings = admin.get("/admin/settings").json()
    assert settings["agent_timeout"] == 300
    assert settings["transfer"] == {"enabled": True, "to": "both"}
    assert set(settings) >= {"transfer", "agent_timeout", "attachments", "masking"}
    try:
        r = admin.put("/admin/settings", json={"agent_timeout": 5, "transfer": {"to": "agents"}})
        assert r.status_code == 200, r.text
        assert r.json()["agent_timeout"] == 5
        assert r.json()["transfer"] == {"enabled": True, "to": "agents"}  # merged, not replaced
        assert admin.get("/admin/settings").json()["agent_timeout"] == 5
        r = admin.put("/admin/settings", json={"attachments": {"max_mb": 25}})
        assert r.json()["attachments"] == {"enabled": True, "max_mb": 25}
        assert r.json()["agent_timeout"] == 5
    finally:
        restored = admin.put("/admin/settings", json={"agent_timeout": 300, "transfer": {"to": "both"},
                                                      "attachments": {"max_mb": 15}})
        assert restored.status_code == 200
    assert admin.get("/admin/settings").json() == settings


@pytest.mark.parametrize("body", [{}, [], "5", {"agent_timeout": 4}, {"agent_timeout": 3601}, {"agent_timeout": "60"},
                                  {"agent_timeout": True}, {"agent_timeout": 5.5}, {"unknown": 1},
                                  {"transfer": {"to": "everyone"}}, {"transfer": {"enabled": "yes"}},
                                  {"transfer": "on"}, {"masking": {"phone": "half"}},
                                  {"attachments": {"max_mb": 26}}, {"agent_timeout": 60, "bogus": 1}])
def test_invalid_settings_are_422_and_change_nothing(clients: dict[str, Api], body: dict) -> None:
    admin = clients["admin"]
    before = admin.get("/admin/settings").json()
    assert_error(admin.put("/admin/settings", json=body), 422, "invalid")
    assert admin.get("/admin/settings").json() == before


def test_settings_body_must_be_json(clients: dict[str, Api]) -> None:
    r = clients["admin"].put("/admin/settings", content=b"agent_timeout=5",
                             headers={"content-type": "application/json"})
    assert_error(r, 422, "invalid")

