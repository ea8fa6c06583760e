"""Administration of the contact manager and what it governs (SPEC C1-C4, C7, A1): lists, permissions,
custom fields and tags are checked and named clearly when wrong; custom values are checked by their kind;
finding contacts by custom field, tags, list and page; My Contacts; a disabled user is signed out."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import assert_error, new_phone
from tests.serverproc import Api, ServerProcess


def _uid() -> str:
    return "u" + uuid.uuid4().hex[:9]  # a letter first: an all-digit marker would be searched as a number


def _new_list(admin: Api, prefix: str = "Admin") -> str:
    name = f"{prefix} {_uid()}"
    r = admin.post("/admin/lists", json={"name": name})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name and r.json()["contacts"] == 0
    return name


def _field(admin: Api, list_name: str, name: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    r = admin.post("/admin/custom-fields", json={"list": list_name, "name": name, "kind": kind, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _contact(api: Api, list_name: str = "Customers", **body: Any) -> dict[str, Any]:
    r = api.post("/contacts", json={"list": list_name, **body})
    assert r.status_code == 201, r.text
    return r.json()


def _ids(api: Api, path: str = "/contacts", **params: Any) -> list[int]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


@pytest.fixture
def admin(clients: dict[str, Api]) -> Api:
    return clients["admin"]


# --- definitions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, words", [
    ({"name": "Bad Name"}, "name"),
    ({"name": "1st"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": None}, "name"),
    ({"name": "email"}, "standard"),
    ({"name": "first_name"}, "standard"),
    ({"name": "color", "kind": "colour"}, "kind"),
    ({"name": "size", "kind": "choice"}, "choices"),
    ({"name": "size", "kind": "choice", "choices": []}, "choices"),
    ({"name": "size", "kind": "choice", "choices": ["S", ""]}, "choices"),
    ({"name": "size", "kind": "choice", "choices": "S,M,L"}, "choices"),
    ({"name": "size", "kind": "choice", "choices": ["S", 2]}, "choices"),
    ({"name": "size", "kind": "text", "choices": ["S"]}, "choices"),
    ({"name": "size", "label": "x" * 129}, "label"),
    ({"name": "size", "label": 5}, "label"),
])
def test_bad_custom_field_definitions_are_refused_clearly(admin: Api, body: dict[str, Any], words: str) -> None:
    lst = _new_list(admin)
    error = assert_error(admin.post("/admin/custom-fields", json={"list": lst, **body}), 422, "invalid")
    assert words in error["message"].lower(), error
    assert admin.get("/admin/custom-fields", params={"list": lst}).json() == {"items": [], "total": 0}


def test_custom_field_lifecycle(admin: Api, clients: dict[str, Api]) -> None:
    lst, other = _new_list(admin), _new_list(admin)
    size = _field(admin, lst, "size", "choice", label="Size", choices=["S", "M", " L ", "M"])
    assert (size["name"], size["label"], size["kind"], size["choices"]) == ("size", "Size", "choice", ["S", "M", "L"])
    plain = _field(admin, lst, "city")
    assert plain["label"] == "city" and plain["kind"] == "text" and plain["choices"] == []
    assert_error(admin.post("/admin/custom-fields", json={"list": lst, "name": "size", "kind": "text"}), 409,
                 "exists")
    _field(admin, other, "size", "number")  # the same name in another list is another field
    assert_error(admin.post("/admin/custom-fields", json={"list": f"Nope {_uid()}", "name": "x"}), 404,
                 "not_found")
    listed = admin.get("/admin/custom-fields", params={"list": lst}).json()
    assert [f["name"] for f in listed["items"]] == ["size", "city"] and listed["total"] == 2
    # users who may see the list get its fields with it
    assert admin.put(f"/admin/lists/{lst}/permissions", json={"user": "agent4", "view": True}).status_code == 200
    mine = next(item for item in clients["agent4"].get("/lists").json()["items"] if item["name"] == lst)
    assert [(f["name"], f["label"], f["kind"], f["choices"]) for f in mine["custom_fields"]] == [
        ("size", "Size", "choice", ["S", "M", "L"]), ("city", "city", "text", [])]

    r = admin.patch(f"/admin/custom-fields/{size['id']}", json={"label": "T-shirt size", "choices": ["S", "M", "XL"]})
    assert r.status_code == 200, r.text
    assert (r.json()["label"], r.json()["choices"]) == ("T-shirt size", ["S", "M", "XL"])
    for body in ({"name": "renamed"}, {"kind": "text"}, {"choices": []}, {"label": 7}):
        assert_error(admin.patch(f"/admin/custom-fields/{size['id']}", json=body), 422, "invalid")
    assert_error(admin.patch(f"/admin/custom-fields/{plain['id']}", json={"choices": ["a"]}), 422, "invalid")
    assert_error(admin.patch("/admin/custom-fields/2000000000", json={"label": "x"}), 404, "not_found")
    contact = _contact(admin, lst, first_name="Sized", fields={"size": "XL", "city": "Turin"})
    assert contact["fields"] == {"size": "XL", "city": "Turin"}

    assert admin.delete(f"/admin/custom-fields/{plain['id']}").status_code == 204
    assert_error(admin.delete(f"/admin/custom-fields/{plain['id']}"), 404, "not_found")
    assert [f["name"] for f in admin.get("/admin/custom-fields", params={"list": lst}).json()["items"]] == ["size"]
    got = admin.get(f"/contacts/{contact['id']}").json()
    assert [f["name"] for f in got["custom_fields"]] == ["size"]
    # the deleted field's value is no longer shown, nor found
    assert got["fields"] == {"size": "XL"}
    [listed] = admin.get("/contacts", params={"list": lst}).json()["items"]
    assert listed["fields"] == {"size": "XL"}
    assert _ids(admin, **{"field.city": "turin"}) == []
    assert _ids(admin, **{"field.size": "xl", "list": lst}) == [contact["id"]]
    assert_error(admin.patch(f"/contacts/{contact['id']}", json={"fields": {"city": "Rome"}}), 422, "invalid")


@pytest.mark.parametrize("color", ["red", "#12345", "#gggggg", "123456", "#1234567", "", 123, None, "# 12345"])
def test_bad_tag_colors_are_refused(admin: Api, color: Any) -> None:
    name = f"Color {_uid()}"
    error = assert_error(admin.post("/admin/tags", json={"name": name, "color": color}), 422, "invalid")
    assert "color" in error["message"]
    assert name not in {t["name"] for t in admin.get("/admin/tags").json()["items"]}


def test_tag_lifecycle(admin: Api, clients: dict[str, Api]) -> None:
    name, renamed = f"Tag {_uid()}", f"Renamed {_uid()}"
    r = admin.post("/admin/tags", json={"name": name, "color": "#ABCDEF"})
    assert r.status_code == 201, r.text
    tag = r.json()
    assert (tag["name"], tag["color"]) == (name, "#abcdef")
    assert admin.post("/admin/tags", json={"name": f"Short {_uid()}", "color": "#abc"}).status_code == 201
    default = admin.post("/admin/tags", json={"name": f"Plain {_uid()}"})
    assert default.status_code == 201 and default.json()["color"].startswith("#")
    assert_error(admin.post("/admin/tags", json={"name": name, "color": "#000000"}), 409, "exists")
    assert_error(admin.post("/admin/tags", json={"name": "VIP"}), 409, "exists")
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 65}, {"name": 5}, {}, []):
        assert_error(admin.post("/admin/tags", json=body), 422, "invalid")
    # everyone can pick from the tags; nobody but admins defines them
    assert name in {t["name"] for t in clients["agent1"].get("/tags").json()["items"]}
    contact = _contact(admin, first_name="Tagged", tags=[name, "VIP"])
    assert sorted(contact["tags"]) == sorted([name, "VIP"])
    assert_error(admin.post("/contacts", json={"list": "Customers", "first_name": "T", "tags": [f"Nope {_uid()}"]}),
                 422, "invalid")

    assert_error(admin.patch(f"/admin/tags/{name}", json={"name": "VIP"}), 409, "exists")
    assert_error(admin.patch(f"/admin/tags/{name}", json={"color": "teal"}), 422, "invalid")
    assert_error(admin.patch(f"/admin/tags/{name}", json={}), 422, "invalid")
    r = admin.patch(f"/admin/tags/{name}", json={"name": renamed, "color": "#00ff00"})
    assert r.status_code == 200 and (r.json()["name"], r.json()["color"]) == (renamed, "#00ff00"), r.text
    assert sorted(admin.get(f"/contacts/{contact['id']}").json()["tags"]) == sorted([renamed, "VIP"])
    assert_error(admin.patch(f"/admin/tags/{name}", json={"color": "#000000"}), 404, "not_found")

    assert admin.delete(f"/admin/tags/{tag['id']}").status_code == 204  # by id
    assert admin.get(f"/contacts/{contact['id']}").json()["tags"] == ["VIP"]
    assert renamed not in {t["name"] for t in admin.get("/admin/tags").json()["items"]}
    assert_error(admin.delete(f"/admin/tags/{renamed}"), 404, "not_found")


def test_list_names_are_unique_and_a_list_with_contacts_cannot_be_deleted(admin: Api) -> None:
    lst, other = _new_list(admin), _new_list(admin)
    assert_error(admin.post("/admin/lists", json={"name": lst}), 409, "exists")
    assert_error(admin.post("/admin/lists", json={"name": f"  {lst}  "}), 409, "exists")
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 129}, {"name": 5}, {}, ["name"]):
        assert_error(admin.post("/admin/lists", json=body), 422, "invalid")
    assert_error(admin.patch(f"/admin/lists/{lst}", json={"name": other}), 409, "exists")
    renamed = f"Renamed {_uid()}"
    r = admin.patch(f"/admin/lists/{lst}", json={"name": renamed})
    assert r.status_code == 200 and r.json()["name"] == renamed, r.text
    assert_error(admin.patch(f"/admin/lists/{lst}", json={"name": f"Again {_uid()}"}), 404, "not_found")

    contact = _contact(admin, renamed, first_name="Holder")
    assert contact["list"] == renamed
    counts = {item["name"]: item["contacts"] for item in admin.get("/admin/lists").json()["items"]}
    assert counts[renamed] == 1 and counts[other] == 0
    error = assert_error(admin.delete(f"/admin/lists/{renamed}"), 409)
    assert renamed in error["message"]
    assert admin.get(f"/contacts/{contact['id']}").status_code == 200
    assert renamed in {item["name"] for item in admin.get("/admin/lists").json()["items"]}
    # moved out, the list may go
    r = admin.patch(f"/contacts/{contact['id']}", json={"list": other})
    assert r.status_code == 200 and r.json()["list"] == other, r.text
    assert admin.delete(f"/admin/lists/{renamed}").status_code == 204
    assert_error(admin.delete(f"/admin/lists/{renamed}"), 404, "not_found")
    assert renamed not in {item["name"] for item in admin.get("/admin/lists").json()["items"]}
    assert_error(admin.post("/contacts", json={"list": renamed, "first_name": "Late"}), 422, "invalid")


@pytest.mark.parametrize("body, status", [
    ({"user": "agent3", "view": False, "add": True}, 422),
    ({"user": "agent3", "view": False, "edit": True}, 422),
    ({"user": "agent3", "view": "yes"}, 422),
    ({"user": "agent3", "view": 1}, 422),
    ({"user": "agent3", "view": True, "add": None}, 422),
    ({"view": True}, 422),
    ({"user": "", "view": True}, 422),
    ({"user": "nobody-such", "view": True}, 404),
    ([], 422),
    ("agent3", 422),
])
def test_bad_permission_bodies_are_refused(admin: Api, clients: dict[str, Api], body: Any, status: int) -> None:
    lst = _new_list(admin)
    assert_error(admin.put(f"/admin/lists/{lst}/permissions", json=body), status)
    assert admin.get(f"/admin/lists/{lst}/permissions").json() == {"items": [], "total": 0}
    assert lst not in {item["name"] for item in clients["agent3"].get("/lists").json()["items"]}


def test_permissions_on_an_unknown_list(admin: Api) -> None:
    missing = f"Missing {_uid()}"
    assert_error(admin.put(f"/admin/lists/{missing}/permissions", json={"user": "agent3", "view": True}), 404,
                 "not_found")
    assert_error(admin.get(f"/admin/lists/{missing}/permissions"), 404, "not_found")


# --- contacts ------------------------------------------------------------------------------------------

def test_contact_values_are_checked(admin: Api) -> None:
    lst = _new_list(admin)
    for body in ({}, {"company": "Only a company"}, {"first_name": 5}, {"first_name": "x" * 129},
                 {"first_name": "A", "email": "not-an-email"}, {"first_name": "A", "email": "a@b"},
                 {"first_name": "A", "phones": "+393331234567"}, {"first_name": "A", "phones": ["garbage"]},
                 {"first_name": "A", "phones": [new_phone() for _ in range(11)]},
                 {"first_name": "A", "unknown_field": 1}, {"first_name": "A", "tags": "VIP"},
                 {"first_name": "A", "fields": ["city"]}, {"first_name": "A", "fields": "city=Rome"},
                 {"first_name": "A", "list": ""}):
        assert_error(admin.post("/contacts", json={"list": lst, **body}), 422, "invalid")
    assert_error(admin.post("/contacts", json=["not", "an", "object"]), 422)
    assert _ids(admin, list=lst) == []
    contact = _contact(admin, lst, first_name=" Trimmed ", email=" Mixed.Case@Example.com ", phones=["", new_phone()])
    assert contact["first_name"] == "Trimmed" and contact["email"] == "Mixed.Case@Example.com"
    assert len(contact["phones"]) == 1
    phone = contact["phones"][0]
    assert_error(admin.post("/contacts", json={"list": lst, "first_name": "Twin", "phones": [phone]}), 409,
                 "duplicate")
    other = _contact(admin, lst, first_name="Other", phones=[new_phone()])
    assert_error(admin.patch(f"/contacts/{other['id']}", json={"phones": [phone]}), 409, "duplicate")
    for body in ({}, {"email": "bad"}, {"phones": ["nope"]}, {"id": 5}, {"created_at": "2020-01-01"},
                 {"list": f"Nope {_uid()}"}):
        assert_error(admin.patch(f"/contacts/{other['id']}", json=body), 422, "invalid")
    assert admin.get(f"/contacts/{other['id']}").json() == {**other}
    assert_error(admin.get("/contacts/2000000000"), 404, "not_found")
    assert_error(admin.delete("/contacts/2000000000"), 404, "not_found")


def test_custom_values_are_checked_by_kind(admin: Api) -> None:
    lst = _new_list(admin)
    _field(admin, lst, "visits", "number", label="Visits")
    _field(admin, lst, "birthday", "date", label="Birthday")
    _field(admin, lst, "plan", "choice", label="Plan", choices=["Basic", "Pro"])
    _field(admin, lst, "nickname")
    for fields, label in (({"visits": "many"}, "Visits"), ({"visits": True}, "Visits"), ({"visits": "NaN"}, "Visits"),
                          ({"visits": [1]}, "Visits"), ({"birthday": "2024-13-01"}, "Birthday"),
                          ({"birthday": "31/01/2020"}, "Birthday"), ({"birthday": 20200131}, "Birthday"),
                          ({"plan": "Gold"}, "Plan"), ({"plan": "basic"}, "Plan"), ({"nickname": 5}, "nickname"),
                          ({"nickname": "x" * 1001}, "nickname"), ({"unknown": "x"}, "unknown")):
        error = assert_error(admin.post("/contacts", json={"list": lst, "first_name": "Kind", "fields": fields}),
                             422, "invalid")
        assert label in error["message"], (fields, error)
    assert _ids(admin, list=lst) == []
    r = admin.post("/contacts", json={"list": lst, "first_name": "Kind", "fields": {
        "visits": "12,5", "birthday": "2024-02-29", "plan": " Pro ", "nickname": " Kay "}})
    assert r.status_code == 201, r.text
    contact = r.json()
    assert contact["fields"] == {"visits": 12.5, "birthday": "2024-02-29", "plan": "Pro", "nickname": "Kay"}
    assert [f["name"] for f in contact["custom_fields"]] == ["visits", "birthday", "plan", "nickname"]

    for fields in ({"visits": "x"}, {"birthday": "2023-02-29"}, {"plan": "Gold"}):
        assert_error(admin.patch(f"/contacts/{contact['id']}", json={"fields": fields}), 422, "invalid")
    assert admin.get(f"/contacts/{contact['id']}").json()["fields"] == contact["fields"]  # nothing half-changed
    r = admin.patch(f"/contacts/{contact['id']}", json={"fields": {"visits": 7, "plan": "Basic", "nickname": ""}})
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"visits": 7, "birthday": "2024-02-29", "plan": "Basic"}  # "" clears one
    r = admin.patch(f"/contacts/{contact['id']}", json={"notes": "fields untouched"})
    assert r.json()["fields"] == {"visits": 7, "birthday": "2024-02-29", "plan": "Basic"}
    # in the Customers list these fields do not exist
    assert_error(admin.post("/contacts", json={"list": "Customers", "first_name": "K", "fields": {"visits": 1}}),
                 422, "invalid")


def test_advanced_search_by_custom_field_and_standard_fields(admin: Api) -> None:
    lst = _new_list(admin)
    _field(admin, lst, "city")
    _field(admin, lst, "visits", "number")
    marker = _uid()
    rome = _contact(admin, lst, first_name="Romeo", last_name=marker, company="Alpha Srl", notes="calls on Mondays",
                    fields={"city": "Rome", "visits": 3}, email=f"romeo.{marker}@example.com")
    roma = _contact(admin, lst, first_name="Giulia", last_name=marker, company="Beta Spa",
                    fields={"city": "Romagna"})
    milan = _contact(admin, lst, first_name="Marco", last_name=marker, fields={"city": "Milan", "visits": 30})
    assert set(_ids(admin, **{"field.city": "rom"})) == {rome["id"], roma["id"]}
    assert set(_ids(admin, **{"field.city": "ROME"})) == {rome["id"]}
    assert set(_ids(admin, **{"field.city": "mil", "list": lst})) == {milan["id"]}
    assert set(_ids(admin, **{"field.visits": "3"})) == {rome["id"], milan["id"]}
    assert set(_ids(admin, **{"field.city": "rom", "field.visits": "3"})) == {rome["id"]}
    assert _ids(admin, **{"field.city": "Paris", "list": lst}) == []
    assert set(_ids(admin, last_name=marker)) == {rome["id"], roma["id"], milan["id"]}
    assert set(_ids(admin, last_name=marker, first_name="rom")) == {rome["id"]}
    assert set(_ids(admin, last_name=marker, company="spa")) == {roma["id"]}
    assert set(_ids(admin, last_name=marker, notes="monday")) == {rome["id"]}
    assert set(_ids(admin, email=f"romeo.{marker}")) == {rome["id"]}
    assert set(_ids(admin, q=f"romeo {marker}")) == {rome["id"]}  # every word must match
    assert set(_ids(admin, q=f"alpha {marker}")) == {rome["id"]}
    assert set(_ids(admin, q=marker, first_name="marco")) == {milan["id"]}
    assert set(_ids(admin, q="100%_nothing")) == set()  # LIKE wildcards are plain characters
    assert_error(admin.get("/contacts", params={"field.Bad-Name": "x"}), 422, "invalid")


def test_tag_filter_needs_every_tag_and_list_filter(admin: Api, clients: dict[str, Api]) -> None:
    lst = _new_list(admin)
    marker = _uid()
    vip = _contact(admin, lst, first_name="T", last_name=marker, tags=["VIP"])
    vip_sales = _contact(admin, lst, first_name="T", last_name=marker, tags=["VIP", "Sales"])
    sales = _contact(admin, lst, first_name="T", last_name=marker, tags=["Sales"])
    untagged = _contact(admin, lst, first_name="T", last_name=marker)
    elsewhere = _contact(admin, "Customers", first_name="T", last_name=marker, tags=["VIP", "Sales"])
    assert set(_ids(admin, q=marker, tag="VIP")) == {vip["id"], vip_sales["id"], elsewhere["id"]}
    assert set(_ids(admin, q=marker, tag=["VIP", "Sales"])) == {vip_sales["id"], elsewhere["id"]}
    assert set(_ids(admin, q=marker, tag=["VIP", "Sales"], list=lst)) == {vip_sales["id"]}
    assert set(_ids(admin, q=marker, tag=["VIP", "Sales", "Complaint"])) == set()
    assert set(_ids(admin, q=marker, list=lst)) == {vip["id"], vip_sales["id"], sales["id"], untagged["id"]}
    assert set(_ids(admin, q=marker, list="Customers")) == {elsewhere["id"]}
    lst_id = next(item["id"] for item in admin.get("/lists").json()["items"] if item["name"] == lst)
    assert set(_ids(admin, q=marker, list=str(lst_id))) == {vip["id"], vip_sales["id"], sales["id"], untagged["id"]}
    assert _ids(admin, q=marker, tag=f"Nope {_uid()}") == []
    assert_error(admin.get("/contacts", params={"list": f"Nope {_uid()}"}), 422, "invalid")
    # an agent who only sees Customers finds the one there, whatever the filters
    assert set(_ids(clients["agent1"], q=marker, tag=["VIP", "Sales"])) == {elsewhere["id"]}


def test_paging_keeps_the_total_and_covers_every_match_once(admin: Api) -> None:
    marker = _uid()
    made = [_contact(admin, first_name=f"Page{i}", company=f"Pager {marker}")["id"] for i in range(7)]
    seen: list[int] = []
    for page, size in ((1, 3), (2, 3), (3, 1)):
        r = admin.get("/contacts", params={"company": marker, "page": page, "page_size": 3})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["total"], body["page"], body["page_size"]) == (7, page, 3)
        assert len(body["items"]) == size
        seen += [c["id"] for c in body["items"]]
    assert seen == sorted(made, reverse=True)  # newest first, no repeats, none missing
    past = admin.get("/contacts", params={"company": marker, "page": 9, "page_size": 3}).json()
    assert (past["items"], past["total"]) == ([], 7)
    one_page = admin.get("/contacts", params={"company": marker, "page_size": 200}).json()
    assert [c["id"] for c in one_page["items"]] == seen and one_page["total"] == 7
    default = admin.get("/contacts", params={"company": marker}).json()
    assert (default["page"], default["page_size"], default["total"]) == (1, 25, 7)
    for params in ({"page": 0}, {"page_size": 0}, {"page_size": 201}, {"page": -1}, {"page": "x"}):
        assert_error(admin.get("/contacts", params={"company": marker, **params}), 422)


def test_my_contacts_are_the_ones_i_created_or_edited(admin: Api, clients: dict[str, Api]) -> None:
    agent1, agent2 = clients["agent1"], clients["agent2"]
    marker = _uid()
    created_by_1 = _contact(agent1, first_name="Made", last_name=marker, tags=["VIP"])
    by_admin = _contact(admin, first_name="Admins", last_name=marker)
    edited_by_2 = _contact(admin, first_name="Edited", last_name=marker)
    assert agent2.patch(f"/contacts/{edited_by_2['id']}", json={"notes": "called back"}).status_code == 200
    assert set(_ids(agent1, "/my-contacts", q=marker)) == {created_by_1["id"]}
    assert set(_ids(agent2, "/my-contacts", q=marker)) == {edited_by_2["id"]}
    assert set(_ids(admin, "/my-contacts", q=marker)) == {by_admin["id"], edited_by_2["id"]}
    assert set(_ids(clients["agent3"], "/my-contacts", q=marker)) == set()
    # everyone who may view sees all of them in Contacts
    assert set(_ids(agent1, q=marker)) == {created_by_1["id"], by_admin["id"], edited_by_2["id"]}
    # same filters as Contacts
    assert set(_ids(agent1, "/my-contacts", q=marker, tag="VIP")) == {created_by_1["id"]}
    assert set(_ids(agent1, "/my-contacts", q=marker, tag="Sales")) == set()
    body = agent1.get("/my-contacts", params={"q": marker}).json()
    assert (body["total"], body["page"], body["page_size"]) == (1, 1, 25)
    # editing makes it mine too; looking does not
    assert agent1.get(f"/contacts/{by_admin['id']}").status_code == 200
    assert set(_ids(agent1, "/my-contacts", q=marker)) == {created_by_1["id"]}
    assert agent1.patch(f"/contacts/{by_admin['id']}", json={"company": "Now mine"}).status_code == 200
    assert set(_ids(agent1, "/my-contacts", q=marker)) == {created_by_1["id"], by_admin["id"]}
    # a duplicate is created by whoever made it
    copy_list = _new_list(admin, "Copies")
    assert admin.put(f"/admin/lists/{copy_list}/permissions",
                     json={"user": "agent2", "view": True, "add": True}).status_code == 200
    r = agent2.post(f"/contacts/{created_by_1['id']}/duplicate", json={"list": copy_list})
    assert r.status_code == 201, r.text
    assert set(_ids(agent2, "/my-contacts", q=marker)) == {edited_by_2["id"], r.json()["id"]}
    # a deleted contact leaves My Contacts
    assert agent1.delete(f"/contacts/{created_by_1['id']}").status_code == 204
    assert set(_ids(agent1, "/my-contacts", q=marker)) == {by_admin["id"]}


def test_disabling_a_user_ends_their_session(admin: Api, demo_server: ServerProcess) -> None:
    username, password = f"leaver{_uid()}", "leaver-pass-1"
    r = admin.post("/admin/users", json={"username": username, "password": password, "role": "agent"})
    assert r.status_code == 201, r.text
    assert admin.put("/admin/lists/Customers/permissions",
                     json={"user": username, "view": True, "add": True}).status_code == 200
    leaver = Api(demo_server.base, username, password=password)
    spare = Api(demo_server.base, username, password=password)  # a second session of the same user
    try:
        assert leaver.get("/contacts").status_code == 200 and spare.get("/me").status_code == 200
        made = _contact(leaver, first_name="Before", last_name="Leaving")
        r = admin.patch(f"/admin/users/{username}", json={"disabled": True})
        assert r.status_code == 200 and r.json()["disabled"] is True, r.text
        for session in (leaver, spare):
            assert_error(session.get("/contacts"), 401)
            assert_error(session.post("/contacts", json={"list": "Customers", "first_name": "After"}), 401)
            assert_error(session.get(f"/contacts/{made['id']}"), 401)
        assert_error(leaver.client.post("/auth/login", json={"username": username, "password": password}), 401)
        assert admin.get(f"/contacts/{made['id']}").status_code == 200  # what they made stays

        assert admin.patch(f"/admin/users/{username}", json={"disabled": False}).status_code == 200
        assert_error(leaver.get("/contacts"), 401)  # the old session stays ended
        back = Api(demo_server.base, username, password=password)
        try:
            assert back.get("/contacts").status_code == 200
            # a new password ends the sessions too
            assert admin.patch(f"/admin/users/{username}", json={"password": "another-pass-2"}).status_code == 200
            assert_error(back.get("/contacts"), 401)
        finally:
            back.client.close()
    finally:
        leaver.client.close()
        spare.client.close()
    assert_error(admin.patch("/admin/users/admin", json={"disabled": True}), 403, "forbidden")
    assert admin.get("/me").status_code == 200
    for body in ({"disabled": "yes"}, {"role": "boss"}, {"password": "short"}, {"username": "x"}, {}):
        assert_error(admin.patch(f"/admin/users/{username}", json=body), 422, "invalid")
    assert_error(admin.patch("/admin/users/nobody-at-all", json={"disabled": True}), 404, "not_found")


def test_a_role_change_applies_at_once(admin: Api, demo_server: ServerProcess) -> None:
    username = f"climber{_uid()}"
    assert admin.post("/admin/users", json={"username": username, "password": "climber-pass",
                                             "role": "agent"}).status_code == 201
    user = Api(demo_server.base, username, password="climber-pass")
    try:
        lst = _new_list(admin, "Climb")
        hidden = _contact(admin, lst, first_name="Hidden")
        assert_error(user.get(f"/contacts/{hidden['id']}"), 404, "not_found")
        assert_error(user.get("/admin/lists"), 403, "forbidden")
        assert admin.patch(f"/admin/users/{username}", json={"role": "admin"}).json()["role"] == "admin"
        assert user.get(f"/contacts/{hidden['id']}").status_code == 200
        assert user.get("/admin/lists").status_code == 200
        assert admin.patch(f"/admin/users/{username}", json={"role": "agent"}).status_code == 200
        assert_error(user.get(f"/contacts/{hidden['id']}"), 401)  # a lower role ends every session
        assert_error(user.get("/admin/lists"), 401)
        again = Api(demo_server.base, username, password="climber-pass")
        try:
            assert_error(again.get(f"/contacts/{hidden['id']}"), 404, "not_found")
            assert_error(again.get("/admin/lists"), 403, "forbidden")
        finally:
            again.client.close()
    finally:
        user.client.close()


def test_nobody_changes_their_own_role_state_or_rights(admin: Api) -> None:
    """An administrator cannot enable, disable, promote, demote or widen themself; another one can."""
    before = next(u for u in admin.get("/admin/users").json()["items"] if u["username"] == "admin")
    assert_error(admin.patch("/admin/users/admin", json={"role": "agent"}), 403, "forbidden")
    assert_error(admin.patch("/admin/users/admin", json={"disabled": False}), 403, "forbidden")
    assert_error(admin.put("/admin/lists/Customers/permissions",
                           json={"user": "admin", "view": True, "add": True, "edit": True}), 403, "forbidden")
    assert admin.get("/me").json()["role"] == "admin"
    assert next(u for u in admin.get("/admin/users").json()["items"] if u["username"] == "admin") == before
    assert not any(p["user"] == "admin" for p in admin.get("/admin/lists/Customers/permissions").json()["items"])
