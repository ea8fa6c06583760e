"""Campaigns through the REST API (SPEC T5): admins only, clear 422s for a bad campaign, state changes
that do not fit answered 409, and a small campaign on the sandbox account followed to its end."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import assert_error, eventually, new_phone
from tests.serverproc import Api


@pytest.fixture(scope="module")
def workspace(clients: dict[str, Api]) -> dict[str, Any]:
    """A list with a custom field `city`: one contact with a number, one without."""
    admin = clients["admin"]
    name = f"Campaign {uuid.uuid4().hex[:8]}"
    assert admin.post("/admin/lists", json={"name": name}).status_code == 201
    assert admin.post("/admin/custom-fields", json={"list": name, "name": "city"}).status_code == 201
    phone = new_phone()
    for body in ({"first_name": "Anna", "phones": [phone], "fields": {"city": "Turin"}},
                 {"first_name": "Bruno", "fields": {"city": "Milan"}}):
        r = admin.post("/contacts", json={"list": name, **body})
        assert r.status_code == 201, r.text
    return {"list": name, "phone": phone}


def body(workspace: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"name": "Autumn", "account": "sandbox", "list": workspace["list"], "template": "order_update",
            "variables": ["first_name", "field:city"], "rate": 10, **changes}


@pytest.mark.parametrize("username", ["agent1", "supervisor"])
def test_only_admins_see_or_run_campaigns(clients: dict[str, Api], workspace: dict[str, Any], username: str) -> None:
    created = clients["admin"].post("/admin/campaigns", json=body(workspace))
    assert created.status_code == 201, created.text
    user = clients[username]
    assert_error(user.get("/admin/campaigns"), 403)
    assert_error(user.post("/admin/campaigns", json=body(workspace)), 403)
    assert_error(user.get(f"/admin/campaigns/{created.json()['id']}"), 403)
    assert_error(user.post(f"/admin/campaigns/{created.json()['id']}/start"), 403)
    assert_error(Api(user.base).get("/admin/campaigns"), 401)


@pytest.mark.parametrize(("changes", "words"), [
    ({"list": "No such list"}, "no list"),
    ({"account": "nowhere"}, "no account"),
    ({"template": "no_template"}, "no template"),
    ({"variables": ["first_name", "field:shoe_size"]}, "no field 'shoe_size'"),
    ({"variables": ["first_name"]}, "takes 2 variable(s); 1 mapped"),
    ({"variables": ["first_name", "nickname"]}, "not a contact field"),
    ({"variables": ["first_name", "text: "]}, "fixed text"),
    ({"rate": 0}, "rate must be from 0.1"),
    ({"rate": 500}, "rate must be from 0.1"),
    ({"rate": "fast"}, "rate must be from 0.1"),
    ({"tags": ["no-such-tag"]}, "no tag"),
    ({"name": ""}, "name"),
])
def test_a_bad_campaign_is_refused_clearly(clients: dict[str, Api], workspace: dict[str, Any],
                                          changes: dict[str, Any], words: str) -> None:
    error = assert_error(clients["admin"].post("/admin/campaigns", json=body(workspace, **changes)), 422)
    assert words in error["message"], error


def test_a_campaign_runs_to_its_end_and_counts_each_contact(clients: dict[str, Api],
                                                           workspace: dict[str, Any]) -> None:
    admin = clients["admin"]
    created = admin.post("/admin/campaigns", json=body(workspace, rate=50)).json()
    assert created["state"] == "draft" and created["totals"]["pending"] == 0
    assert_error(admin.post(f"/admin/campaigns/{created['id']}/pause"), 409, "campaign_state")
    assert admin.post(f"/admin/campaigns/{created['id']}/start").json()["state"] in ("running", "finished")
    view = eventually(lambda: (v := admin.get(f"/admin/campaigns/{created['id']}").json())["state"] == "finished"
                      and v)
    assert view["totals"]["sent"] == 1 and view["totals"]["skipped"] == 1
    rows = {r["name"]: r for r in view["recipients"]["items"]}
    assert rows["Anna"]["state"] == "sent" and rows["Anna"]["phone"] == workspace["phone"]
    assert rows["Bruno"]["state"] == "skipped" and rows["Bruno"]["reason"] == "The contact has no phone number."
    messages = admin.get(f"/interactions/{rows['Anna']['interaction_id']}/messages").json()["items"]
    assert [(m["text"], m["sender"]) for m in messages] == [("Hi Anna, your order Turin is on its way.", "System")]
    [listed_row] = admin.get("/interactions", params={"q": workspace["phone"]}).json()["items"]
    assert listed_row["status"] == "closed" and listed_row["owner"] is None
    assert listed_row["unmanaged"] == 0  # a campaign's message is nothing for an agent to take
    assert_error(admin.post(f"/admin/campaigns/{created['id']}/resume"), 409, "campaign_state")
    assert_error(admin.post(f"/admin/campaigns/{created['id']}/restart"), 422)
    assert_error(admin.get("/admin/campaigns/999999"), 404)
    listed = admin.get("/admin/campaigns").json()
    assert created["id"] in [c["id"] for c in listed["items"]] and listed["total"] == len(listed["items"])
