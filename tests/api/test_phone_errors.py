"""A refused phone number says how to type it and names the field it concerns (`error.field`), so a form
shows the reason beside that input; with a default region, the same national number is taken."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, new_phone
from tests.serverproc import Api


@pytest.fixture
def admin(clients: dict[str, Api]):
    admin = clients["admin"]
    assert admin.put("/admin/settings", json={"default_region": ""}).status_code == 200
    yield admin
    assert admin.put("/admin/settings", json={"default_region": ""}).status_code == 200


def test_a_national_number_without_a_region_is_refused_with_a_hint_on_the_phones_field(admin: Api) -> None:
    national = new_phone()[3:]
    error = assert_error(admin.post("/contacts", json={"list": "Customers", "first_name": "Hint",
                                                        "phones": [national]}), 422, "invalid")
    assert error["field"] == "phones"
    assert national in error["message"] and "country code" in error["message"]
    assert "default region" in error["message"]

    assert admin.put("/admin/settings", json={"default_region": "IT"}).status_code == 200
    r = admin.post("/contacts", json={"list": "Customers", "first_name": "Hint", "phones": [national]})
    assert r.status_code == 201 and r.json()["phones"] == ["+39" + national], r.text


def test_other_refused_fields_are_named_too(admin: Api) -> None:
    error = assert_error(admin.post("/contacts", json={"list": "Customers", "email": "not-an-email"}), 422)
    assert error["field"] == "email"
    error = assert_error(admin.post("/contacts", json={"list": "Customers", "first_name": "Bad",
                                                        "phones": ["+3912"]}), 422)
    assert error["field"] == "phones" and "country code" in error["message"]
    error = assert_error(admin.post("/contacts", json={"list": "Nowhere at all"}), 422)
    assert "field" not in error
