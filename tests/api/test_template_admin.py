"""Template administration over the REST API (SPEC T3) on the demo workspace: create, read, change and delete
with clear refusals, the list agents pick from, Twilio Content SIDs, and that only admins administer."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import assert_error
from tests.serverproc import Api

SID = "HX" + "0123456789abcdef" * 2


def _name() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


def _create(admin: Api, **body: Any) -> dict[str, Any]:
    r = admin.post("/admin/templates", json={"name": _name(), "body": "Hi {{1}}, order {{2}} shipped.", **body})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def admin(clients: dict[str, Api]) -> Api:
    return clients["admin"]


@pytest.mark.parametrize("body, words", [
    ({"name": "Order Update"}, "lowercase letters, digits and underscores"),
    ({"name": "x" * 513}, "1-512"),
    ({"name": None}, "name must be a text"),
    ({"language": "english"}, "language code"),
    ({"category": "transactional"}, "marketing, utility, authentication"),
    ({"body": ""}, "body: 1-1024"),
    ({"body": "x" * 1025}, "body: 1-1024"),
    ({"body": "Hi {{1}} and {{3}}"}, "{{2}} is missing"),
    ({"body": "Hi {{first_name}}"}, "is not a variable"),
    ({"header": "h" * 61}, "header: one line of up to 60"),
    ({"header": "Order {{1}}"}, "belong in the body"),
    ({"footer": "f" * 61}, "footer: one line of up to 60"),
    ({"buttons": ["a", "b", "c", "d"]}, "up to 3"),
    ({"buttons": ["b" * 26]}, "up to 25"),
    ({"buttons": ["Yes", "Yes"]}, "its own text"),
    ({"available_for_agents": "yes"}, "true or false"),
    ({"colour": "red"}, "Unknown field(s): colour"),
])
def test_bad_templates_are_refused_with_what_is_wrong(admin: Api, body: dict[str, Any], words: str) -> None:
    name = _name()
    error = assert_error(admin.post("/admin/templates", json={"name": name, "body": "Hello", **body}), 422, "invalid")
    assert words in error["message"], error
    assert_error(admin.get(f"/admin/templates/{name}"), 404)


def test_a_template_is_created_read_changed_and_deleted_by_id_or_name(admin: Api) -> None:
    made = _create(admin, language="it", category="marketing", header="Il tuo ordine", footer="Grazie",
                   buttons=["Traccia", "Aiuto"], available_for_agents=False)
    assert {k: made[k] for k in ("language", "category", "header", "footer", "buttons", "available_for_agents",
                                  "variables", "statuses", "provider_ids", "recontact_for")} == {
        "language": "it", "category": "marketing", "header": "Il tuo ordine", "footer": "Grazie",
        "buttons": ["Traccia", "Aiuto"], "available_for_agents": False, "variables": 2, "statuses": {},
        "provider_ids": {}, "recontact_for": []}
    assert admin.get(f"/admin/templates/{made['id']}").json() == made
    assert admin.get(f"/admin/templates/{made['name']}").json() == made
    listed = admin.get("/admin/templates").json()
    assert listed["total"] == len(listed["items"]) and made in listed["items"]

    changed = admin.patch(f"/admin/templates/{made['name']}", json={"body": "Ciao {{1}}", "buttons": []})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["body"], changed.json()["variables"], changed.json()["buttons"]) == ("Ciao {{1}}", 1, [])
    assert changed.json()["header"] == "Il tuo ordine"  # what was not sent stays
    assert_error(admin.patch(f"/admin/templates/{made['id']}", json={"footer": "x" * 61}), 422, "invalid")
    assert_error(admin.patch(f"/admin/templates/{made['id']}", json=["not", "an", "object"]), 422, "invalid")

    assert admin.delete(f"/admin/templates/{made['id']}").status_code == 204
    assert_error(admin.get(f"/admin/templates/{made['id']}"), 404, "not_found")
    assert_error(admin.delete(f"/admin/templates/{made['id']}"), 404, "not_found")


def test_a_name_is_taken_once(admin: Api) -> None:
    first, second = _create(admin), _create(admin)
    assert_error(admin.post("/admin/templates", json={"name": first["name"], "body": "x"}), 409, "exists")
    assert_error(admin.patch(f"/admin/templates/{second['id']}", json={"name": first["name"]}), 409, "exists")


def test_the_recontact_template_of_an_account_is_not_deleted(admin: Api) -> None:
    error = assert_error(admin.delete("/admin/templates/recontact"), 409, "in_use")
    assert "recontact template of" in error["message"] and "meta-demo" in error["message"]
    assert admin.get("/admin/templates/recontact").json()["recontact_for"]


def test_agents_pick_from_the_templates_available_for_them(admin: Api, clients: dict[str, Api]) -> None:
    shown, hidden = _create(admin, footer="Bye"), _create(admin, available_for_agents=False)
    r = clients["agent1"].get("/templates")
    assert r.status_code == 200
    items = {t["name"]: t for t in r.json()["items"]}
    assert r.json()["total"] == len(items) and hidden["name"] not in items
    assert items[shown["name"]] == {"id": shown["id"], "name": shown["name"], "language": "en", "category": "utility",
                                    "body": "Hi {{1}}, order {{2}} shipped.", "header": "", "footer": "Bye",
                                    "buttons": [], "variables": 2, "statuses": {}}
    assert "order_update" in items  # the demo's


def test_a_twilio_content_sid_is_set_checked_and_removed(admin: Api) -> None:
    made = _create(admin)
    path = f"/admin/templates/{made['id']}/content-sid"
    r = admin.put(path, json={"account": "twilio-demo", "sid": SID})
    assert r.status_code == 200 and r.json()["provider_ids"] == {"twilio-demo": SID}
    error = assert_error(admin.put(path, json={"account": "twilio-demo", "sid": "HX12"}), 422, "invalid")
    assert "HX followed by 32 hexadecimal digits" in error["message"]
    assert "Twilio accounts" in assert_error(admin.put(path, json={"account": "meta-demo", "sid": SID}), 422)["message"]
    assert_error(admin.put(path, json={"account": "no-such-account", "sid": SID}), 404)
    assert admin.put(path, json={"account": "twilio-demo", "sid": ""}).json()["provider_ids"] == {}


def test_meta_calls_need_the_accounts_waba_id(admin: Api) -> None:
    """The demo's Meta account has no WhatsApp Business Account id: a clear refusal before any call to Meta."""
    made = _create(admin)
    error = assert_error(admin.post("/admin/accounts/meta-demo/templates/sync"), 422, "invalid")
    assert "waba_id" in error["message"]
    error = assert_error(admin.post(f"/admin/templates/{made['id']}/submit", json={
        "account": "meta-demo", "examples": ["a", "b"]}), 422, "invalid")
    assert "waba_id" in error["message"]
    assert "Meta accounts only" in assert_error(admin.post("/admin/accounts/twilio-demo/templates/sync"), 422)[
        "message"]


@pytest.mark.parametrize("username", ["supervisor", "agent1"])
def test_only_admins_administer_templates(admin: Api, clients: dict[str, Api], username: str) -> None:
    made = _create(admin)
    other = clients[username]
    calls = [("GET", "/admin/templates", None), ("POST", "/admin/templates", {"name": _name(), "body": "x"}),
             ("GET", f"/admin/templates/{made['id']}", None),
             ("PATCH", f"/admin/templates/{made['id']}", {"body": "changed"}),
             ("DELETE", f"/admin/templates/{made['id']}", None),
             ("POST", f"/admin/templates/{made['id']}/submit", {"account": "meta-demo", "examples": ["a", "b"]}),
             ("PUT", f"/admin/templates/{made['id']}/content-sid", {"account": "twilio-demo", "sid": SID}),
             ("POST", "/admin/accounts/meta-demo/templates/sync", None)]
    for method, path, body in calls:
        error = assert_error(other.request(method, path, json=body), 403, "forbidden")
        assert error["message"] == "Only administrators may do this.", (method, path)
    assert admin.get(f"/admin/templates/{made['id']}").json() == made


def test_signed_out_callers_are_told_to_sign_in(demo_server) -> None:
    anonymous = Api(demo_server.base)
    for method, path in [("GET", "/templates"), ("GET", "/admin/templates"), ("DELETE", "/admin/templates/1")]:
        assert_error(anonymous.request(method, path), 401, "unauthorized")
    anonymous.client.close()
