"""The contact rules that span lists and users (SPEC C1, C2, C5): numbers stay one contact per list through
moves and merges, custom values follow the kind of the list they are in, a contact is always someone,
searches read each input on its own, and admins cannot lock themselves out."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import assert_error, new_phone
from tests.serverproc import Api


@pytest.fixture
def admin(clients: dict[str, Api]) -> Api:
    return clients["admin"]


def _list(admin: Api, **fields: dict[str, Any]) -> str:
    name = f"Rules {uuid.uuid4().hex[:8]}"
    assert admin.post("/admin/lists", json={"name": name}).status_code == 201
    for field, definition in fields.items():
        r = admin.post("/admin/custom-fields", json={"list": name, "name": field, **definition})
        assert r.status_code == 201, r.text
    return name


def _contact(api: Api, list_name: str, **body: Any) -> dict[str, Any]:
    r = api.post("/contacts", json={"list": list_name, **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_merge_that_would_give_a_list_two_contacts_for_one_number_is_refused(admin: Api) -> None:
    here, there = _list(admin), _list(admin)
    shared = new_phone()
    holder = _contact(admin, here, first_name="Holder", phones=[shared])
    survivor = _contact(admin, here, first_name="Survivor", phones=[new_phone()])
    other = _contact(admin, there, first_name="Other", phones=[shared, new_phone()], company="Other Inc")
    error = assert_error(admin.post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]}), 409,
                         "duplicate")
    assert str(holder["id"]) in error["message"]
    assert admin.get(f"/contacts/{other['id']}").json()["phones"] == other["phones"]  # nothing moved
    assert admin.get(f"/contacts/{survivor['id']}").json()["company"] == ""
    # editing the survivor checks only the numbers it gains, not the ones it has
    assert admin.patch(f"/contacts/{survivor['id']}", json={"company": "Z"}).status_code == 200
    assert_error(admin.patch(f"/contacts/{survivor['id']}", json={"phones": [*survivor["phones"], shared]}), 409,
                 "duplicate")


def test_a_moved_contact_keeps_only_the_custom_values_its_new_list_takes(admin: Api) -> None:
    choice = _list(admin, tier={"kind": "choice", "choices": ["gold", "silver"]}, since={"kind": "date"},
                   city={"kind": "text"})
    number = _list(admin, tier={"kind": "number"}, since={"kind": "date"})
    moved = _contact(admin, choice, first_name="Mover", fields={"tier": "gold", "since": "2020-01-31",
                                                                   "city": "Rome"})
    after = admin.patch(f"/contacts/{moved['id']}", json={"list": number})
    assert after.status_code == 200, after.text
    assert after.json()["list"] == number and after.json()["fields"] == {"since": "2020-01-31"}
    assert admin.get("/contacts", params={"list": number, "field.tier": "gold"}).json()["total"] == 0


def test_a_contact_is_always_someone(admin: Api) -> None:
    here = _list(admin)
    someone = _contact(admin, here, first_name="Only", phones=[])
    assert_error(admin.patch(f"/contacts/{someone['id']}", json={"first_name": ""}), 422)
    assert admin.get(f"/contacts/{someone['id']}").json()["first_name"] == "Only"
    assert admin.patch(f"/contacts/{someone['id']}", json={"first_name": "", "email": "only@example.com"}
                       ).status_code == 200


def test_quick_search_and_the_phone_field_are_read_each_on_its_own(admin: Api) -> None:
    here = _list(admin)
    first, second = new_phone(), new_phone()
    one = _contact(admin, here, first_name="One", phones=[first], company="Both Co")
    _contact(admin, here, first_name="Two", phones=[second], company="Both Co")
    found = admin.get("/contacts", params={"list": here, "q": first, "phone": first}).json()
    assert [c["id"] for c in found["items"]] == [one["id"]]
    assert admin.get("/contacts", params={"list": here, "q": first, "phone": second}).json()["total"] == 0


@pytest.mark.parametrize("page", [0, 100_001, 10**19])
def test_a_page_out_of_range_is_refused(admin: Api, page: int) -> None:
    assert_error(admin.get("/contacts", params={"page": page}), 422)


def test_a_custom_field_name_is_one_word(admin: Api) -> None:
    assert_error(admin.post("/admin/custom-fields", json={"list": "Customers", "name": "tier\n", "kind": "text"}),
                 422)


def test_an_admin_cannot_change_their_own_role_and_settings_changes_are_kept(admin: Api) -> None:
    assert_error(admin.patch("/admin/users/admin", json={"role": "agent"}), 403, "forbidden")
    assert_error(admin.patch("/admin/users/admin", json={"disabled": True}), 403)
    assert admin.get("/me").json()["role"] == "admin"
    try:
        assert admin.put("/admin/settings", json={"default_region": "us"}).json()["default_region"] == "US"
        assert admin.get("/admin/settings").json()["default_region"] == "US"
        assert_error(admin.put("/admin/settings", json={"default_region": "XX"}), 422)
        assert admin.get("/admin/settings").json()["default_region"] == "US"
    finally:
        admin.put("/admin/settings", json={"default_region": ""})
