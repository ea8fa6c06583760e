"""The audit trail (SPEC A3): every sensitive action leaves exactly one entry, with who did it and the values
before and after; administrators read it through GET /admin/audit with filters; nobody can change or delete
it, neither through the API nor through the ORM."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.persistence.append_only import AppendOnlyError
from server.persistence.db import close_database, open_database
from server.persistence.models import AuditEntry
from tests.api.conftest import QUEUE, Desk, assert_error, at_once, eventually, new_phone
from tests.serverproc import Api, ServerProcess


def trail(desk: Desk, **params: Any) -> dict[str, Any]:
    r = desk.admin.get("/admin/audit", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "page", "page_size"}, body
    return body


def entries(desk: Desk, action: str, target: str) -> list[dict[str, Any]]:
    """The entries of exactly this action on exactly this target, newest first."""
    items = trail(desk, action=action, target=target, page_size=200)["items"]
    return [e for e in items if e["target"] == target]


def only(desk: Desk, action: str, target: str) -> dict[str, Any]:
    found = entries(desk, action, target)
    assert len(found) == 1, found
    return found[0]


def race(calls: list[tuple[Api, str, dict[str, Any]]]) -> list[httpx.Response]:
    """POST every (client, path, body) at the same moment, each from its own thread."""
    return at_once([lambda api=api, path=path, body=body: api.post(path, json=body) for api, path, body in calls])


@pytest.fixture(scope="module")
def twins(demo_server: ServerProcess) -> Iterator[dict[str, list[Api]]]:
    """Two separately signed-in sessions of agent1 and of agent2 (two tabs, or a double click)."""
    apis = {u: [Api(demo_server.base, u), Api(demo_server.base, u)] for u in ("agent1", "agent2")}
    yield apis
    for pair in apis.values():
        for api in pair:
            api.client.close()


@pytest.fixture
def owned(desk: Desk) -> Iterator[int]:
    """An interaction owned by agent1; closed afterwards by whoever owns it then."""
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    yield interaction_id
    details = desk.get(interaction_id)
    if details["status"] == "open":
        desk.close(details["owner"], interaction_id)


# --- each sensitive action leaves exactly one entry --------------------------------------------------------
def test_close_leaves_one_entry_with_owner_and_disposition(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    desk.close("agent1", owned, disposition="Resolved")
    entry = only(desk, "interaction.close", target)
    assert entry["actor"] == "agent1"
    assert entry["before"] == {"status": "open", "owner": "agent1", "disposition": None}
    assert entry["after"] == {"status": "closed", "owner": "agent1", "disposition": "Resolved"}
    assert entry["changed"] == ["status", "disposition"]
    assert datetime.fromisoformat(entry["at"].replace("Z", "+00:00")) > datetime.now(timezone.utc) - timedelta(
        minutes=1)
    assert_error(desk["agent1"].post(f"/interactions/{owned}/close", json={}), 409, "closed")
    assert len(entries(desk, "interaction.close", target)) == 1  # a retry writes nothing


def test_two_sessions_closing_at_once_write_one_entry(desk: Desk, twins: dict[str, list[Api]]) -> None:
    desk.online("agent1")
    for _ in range(3):
        interaction_id = desk.open_for("agent1")
        path = f"/interactions/{interaction_id}/close"
        results = race([(twins["agent1"][0], path, {}), (twins["agent1"][1], path, {"disposition": "Sale"})])
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        entry = only(desk, "interaction.close", f"interaction {interaction_id}")
        winner = next(r for r in results if r.status_code == 200)
        assert entry["actor"] == "agent1"
        assert entry["after"]["disposition"] == ("Sale" if winner is results[1] else None)


def test_an_accepted_transfer_leaves_one_request_and_one_outcome(desk: Desk, owned: int,
                                                                   twins: dict[str, list[Api]]) -> None:
    target = f"interaction {owned}"
    desk.online("agent2")
    r = desk["agent1"].post(f"/interactions/{owned}/transfer", json={"agent": "agent2"})
    assert r.status_code == 200, r.text
    request = only(desk, "transfer.request", target)
    assert request["actor"] == "agent1"
    assert request["before"] == {"owner": "agent1", "queue": QUEUE}
    assert request["after"] == {"target": "agent agent2", "targets": ["agent2"]}
    assert entries(desk, "transfer.accepted", target) == []  # not before it happens

    twins["agent2"][0].wait_for_offer(owned)
    path = f"/interactions/{owned}/accept"
    results = race([(twins["agent2"][0], path, {}), (twins["agent2"][1], path, {})])  # a double click
    assert sorted(r.status_code for r in results)[0] == 200, [r.text for r in results]
    assert sum(r.status_code == 200 for r in results) == 1, [r.text for r in results]
    accepted = only(desk, "transfer.accepted", target)
    assert accepted["actor"] == "agent2"
    assert accepted["before"] == {"owner": "agent1", "target": "agent agent2"}
    assert accepted["after"] == {"owner": "agent2", "outcome": "accepted", "reason": None}
    assert len(trail(desk, action="transfer.", target=target)["items"]) == 2


def test_a_declined_transfer_is_one_outcome_by_the_decliner(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    desk.online("agent2")
    assert desk["agent1"].post(f"/interactions/{owned}/transfer", json={"agent": "agent2"}).status_code == 200
    desk["agent2"].wait_for_offer(owned)
    assert desk["agent2"].post(f"/interactions/{owned}/reject").status_code == 200
    eventually(lambda: entries(desk, "transfer.declined", target), what="the outcome is stored")  # after the answer
    declined = only(desk, "transfer.declined", target)
    assert declined["actor"] == "agent2"
    assert declined["before"] == {"owner": "agent1", "target": "agent agent2"}
    assert declined["after"] == {"owner": "agent1", "outcome": "declined", "reason": "rejected by agent2"}
    assert [e["action"] for e in trail(desk, action="transfer.*", target=target)["items"]] == [
        "transfer.declined", "transfer.request"]


def test_a_transfer_to_a_queue_nobody_can_take_is_refused_and_leaves_no_trail(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    assert_error(desk["agent1"].post(f"/interactions/{owned}/transfer", json={"queue": QUEUE}), 409, "nobody_online")
    assert trail(desk, action="transfer.*", target=target)["items"] == []


def test_closing_during_a_transfer_cancels_it_in_the_trail(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    desk.online("agent2")
    assert desk["agent1"].post(f"/interactions/{owned}/transfer", json={"queue": QUEUE}).status_code == 200
    desk["agent2"].wait_for_offer(owned)
    desk.close("agent1", owned)
    cancelled = only(desk, "transfer.cancelled", target)
    assert cancelled["actor"] == "agent1"
    assert cancelled["before"] == {"owner": "agent1", "target": f"queue {QUEUE}"}
    assert cancelled["after"]["outcome"] == "cancelled"
    assert only(desk, "interaction.close", target)["before"]["owner"] == "agent1"
    assert desk["agent2"].post(f"/interactions/{owned}/accept").status_code in (403, 409)
    assert entries(desk, "transfer.accepted", target) == []


def test_a_transfer_nobody_accepts_in_time_times_out_once(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    assert desk.admin.put("/admin/settings", json={"agent_timeout": 5}).status_code == 200
    try:
        desk.online("agent2")
        assert desk["agent1"].post(f"/interactions/{owned}/transfer", json={"agent": "agent2"}).status_code == 200
        deadline = time.time() + 12
        while not entries(desk, "transfer.timed_out", target) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        assert desk.admin.put("/admin/settings", json={"agent_timeout": 300}).status_code == 200
    timed_out = only(desk, "transfer.timed_out", target)
    assert timed_out["actor"] == "system"
    assert timed_out["after"] == {"owner": "agent1", "outcome": "timed_out", "reason": "nobody accepted in time"}
    assert desk["agent2"].post(f"/interactions/{owned}/accept").status_code in (403, 409)
    assert len(entries(desk, "transfer.timed_out", target)) == 1
    assert entries(desk, "transfer.accepted", target) == []


def test_each_transcript_download_is_one_entry_of_its_reader(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    assert entries(desk, "transcript.download", target) == []
    r = desk.sup.get(f"/interactions/{owned}/transcript.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    entry = only(desk, "transcript.download", target)
    assert (entry["actor"], entry["before"], entry["after"]) == ("supervisor", None, {"format": "pdf"})
    assert_error(desk["agent2"].get(f"/interactions/{owned}/transcript.pdf"), 403)  # refused: not recorded
    assert desk["agent1"].get(f"/interactions/{owned}/transcript.pdf").status_code == 200
    assert [e["actor"] for e in entries(desk, "transcript.download", target)] == ["agent1", "supervisor"]


def test_a_merge_is_one_entry_with_both_contacts_before(desk: Desk) -> None:
    admin = desk.admin
    marker = uuid.uuid4().hex[:8]
    made = []
    for first_name in (f"Keep{marker}", f"Gone{marker}"):
        r = admin.post("/contacts", json={"list": "Customers", "first_name": first_name, "phones": [new_phone()]})
        assert r.status_code == 201, r.text
        made.append(r.json())
    survivor, other = made
    r = admin.post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]})
    assert r.status_code == 200, r.text
    entry = only(desk, "contact.merge", f"contact {survivor['id']}")
    assert entry["actor"] == "admin"
    assert entry["before"]["survivor"]["first_name"] == f"Keep{marker}"
    assert entry["before"]["merged"]["id"] == other["id"]
    assert sorted(entry["after"]["phones"]) == sorted(survivor["phones"] + other["phones"])


def test_a_settings_update_and_a_role_change_are_one_entry_each(desk: Desk) -> None:
    admin = desk.admin
    before = admin.get("/admin/settings").json()["attachments"]
    wanted = {"enabled": before["enabled"], "max_mb": 7 if before["max_mb"] != 7 else 8}
    newest = trail(desk, action="settings.update", page_size=1)["items"]
    since = newest[0]["id"] if newest else 0
    try:
        assert admin.put("/admin/settings", json={"attachments": wanted}).status_code == 200
        found = [e for e in trail(desk, action="settings.update")["items"] if e["id"] > since]
        assert len(found) == 1, found
        assert found[0]["actor"] == "admin"
        assert found[0]["before"]["attachments"] == before and found[0]["after"]["attachments"] == wanted
        assert found[0]["changed"] == ["attachments"]
    finally:
        assert admin.put("/admin/settings", json={"attachments": before}).status_code == 200

    username = f"audit{uuid.uuid4().hex[:8]}"
    r = admin.post("/admin/users", json={"username": username, "password": "a-long-password", "role": "agent"})
    assert r.status_code == 201, r.text
    assert admin.patch(f"/admin/users/{username}", json={"role": "supervisor"}).status_code == 200
    entry = only(desk, "user.update", f"user {username}")
    assert entry["actor"] == "admin"
    assert (entry["before"]["role"], entry["after"]["role"]) == ("agent", "supervisor")
    assert "role" in entry["changed"]
    assert only(desk, "user.create", f"user {username}")["after"]["role"] == "agent"


# --- reading the trail ------------------------------------------------------------------------------------
def test_filters_paging_and_newest_first(desk: Desk, owned: int) -> None:
    target = f"interaction {owned}"
    for _ in range(3):
        assert desk.sup.get(f"/interactions/{owned}/transcript.pdf").status_code == 200
    desk.close("agent1", owned)

    everything = trail(desk, target=target)
    assert [e["action"] for e in everything["items"]] == ["interaction.close"] + ["transcript.download"] * 3
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True) and everything["total"] == 4
    assert set(everything["items"][0]) == {"id", "at", "actor", "action", "target", "before", "after", "changed"}

    assert trail(desk, target=f"INTERACTION {owned}")["total"] == 4  # any case
    assert [e["actor"] for e in trail(desk, target=target, actor="supervisor")["items"]] == ["supervisor"] * 3
    assert trail(desk, target=target, actor="agent1")["total"] == 1
    assert trail(desk, target=target, action="transcript.download")["total"] == 3
    assert trail(desk, target=target, action="transcript.")["total"] == 3
    assert trail(desk, target=target, action="transcript")["total"] == 0  # exact unless it ends in "." or "*"
    assert trail(desk, target=target, action="interaction*")["total"] == 1

    first = trail(desk, target=target, page=1, page_size=3)
    second = trail(desk, target=target, page=2, page_size=3)
    assert (first["total"], first["page"], first["page_size"]) == (4, 1, 3)
    assert [e["id"] for e in first["items"] + second["items"]] == ids
    assert trail(desk, target=target, page=3, page_size=3)["items"] == []

    today = datetime.now(timezone.utc).date()
    assert trail(desk, target=target, **{"from": today.isoformat(), "to": today.isoformat()})["total"] == 4
    assert trail(desk, target=target, to=(today - timedelta(days=1)).isoformat())["total"] == 0
    assert trail(desk, target=target, **{"from": (today + timedelta(days=1)).isoformat()})["total"] == 0
    newest_at = everything["items"][0]["at"]
    assert trail(desk, target=target, **{"from": newest_at})["total"] >= 1
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    assert trail(desk, target=target, **{"from": an_hour_ago})["total"] == 4

    actions = desk.admin.get("/admin/audit/actions")
    assert actions.status_code == 200, actions.text
    names = actions.json()["items"]
    assert {"interaction.close", "transcript.download"} <= set(names) and names == sorted(set(names))


def test_bad_filters_are_422(desk: Desk) -> None:
    for params in ({"from": "yesterday"}, {"to": "2024-13-01"}, {"page": 0}, {"page_size": 0},
                   {"page_size": 201}, {"page": "two"}, {"from": "2024-05-02", "to": "2024-05-01"}):
        assert_error(desk.admin.get("/admin/audit", params=params), 422)


def test_only_administrators_read_the_trail(desk: Desk) -> None:
    for username in ("supervisor", "agent1"):
        assert_error(desk[username].get("/admin/audit"), 403)
        assert_error(desk[username].get("/admin/audit", params={"from": "not a date"}), 403)
        assert_error(desk[username].get("/admin/audit/actions"), 403)
    anonymous = httpx.get(desk.server.base + "/api/v1/admin/audit", timeout=10)
    assert_error(anonymous, 401)


# --- nobody changes or deletes it -------------------------------------------------------------------------
def test_there_is_no_route_to_change_or_delete_an_entry(desk: Desk, owned: int) -> None:
    desk.close("agent1", owned)
    entry = only(desk, "interaction.close", f"interaction {owned}")
    admin = desk.admin
    for method in ("PUT", "PATCH", "DELETE"):
        r = admin.request(method, f"/admin/audit/{entry['id']}", json={"after": {}})
        assert r.status_code in (404, 405), r.text
        assert_error(r, r.status_code)
        assert_error(admin.request(method, "/admin/audit", json={"id": entry["id"]}), 405)
    assert_error(admin.post("/admin/audit", json={"action": "forged"}), 405)
    assert only(desk, "interaction.close", f"interaction {owned}") == entry


async def test_the_model_refuses_updates_and_deletes(tmp_path: Path) -> None:
    await open_database(f"sqlite://{tmp_path / 'audit.sqlite3'}")
    try:
        entry = await AuditEntry.create(username="admin", action="settings.update", target="settings",
                                        before={"a": 1}, after={"a": 2})
        entry.after = {"a": 3}
        with pytest.raises(AppendOnlyError):
            await entry.save()
        with pytest.raises(AppendOnlyError):
            await entry.save(update_fields=["after"])
        with pytest.raises(AppendOnlyError):
            await entry.delete()
        with pytest.raises(AppendOnlyError):
            await AuditEntry.filter(id=entry.id).update(after={"a": 4})
        with pytest.raises(AppendOnlyError):
            await AuditEntry.filter(id=entry.id).delete()
        with pytest.raises(AppendOnlyError):
            await AuditEntry.all().delete()
        with pytest.raises(AppendOnlyError):
            await AuditEntry.bulk_update([entry], ["after"])
        [stored] = await AuditEntry.all().values("id", "after")
        assert stored == {"id": entry.id, "after": {"a": 2}}
        await AuditEntry.create(username="admin", action="user.update", target="user x")  # adding still works
        assert await AuditEntry.all().count() == 2
    finally:
        await close_database()
