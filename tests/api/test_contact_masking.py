"""Masking of contacts (SPEC C8): with the admin's masking on, no contact answer a masked agent gets (lists,
searches, a contact, its journey, what creating, editing, merging and duplicating answer, and the
conversation with that customer) carries the phone number, email or name whole. A masked agent still finds
a customer whose full number, email or name they type, but cannot probe with a part of one, and cannot change
what is hidden from them. Supervisors and admins see everything."""
from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.api.conftest import Desk, assert_error, new_phone
from tests.serverproc import Api

HIDDEN = "•••"
AGENT = "agent2"
NO_MASKING = {"phone": "none", "email": "none", "name": "none"}


@contextmanager
def _masking(admin: Api, masking: dict[str, str]) -> Iterator[None]:
    """The workspace's masking set to `masking` for the block, and none again after it."""
    assert admin.put("/admin/settings", json={"masking": masking}).status_code == 200
    try:
        yield
    finally:
        admin.put("/admin/settings", json={"masking": NO_MASKING})


def _word(prefix: str) -> str:
    """A name no other text of the answers can contain."""
    return prefix + "".join(random.choices(string.ascii_lowercase, k=9))


def _person() -> dict[str, Any]:
    first, last = _word("Xanth"), _word("Quorr")
    return {"first_name": first, "last_name": last, "phones": [new_phone()],
            "email": f"{first.lower()}.{last.lower()}@maskmail.example"}


def _secrets(*people: dict[str, Any]) -> list[str]:
    """Every unmasked value of these people, in every form it could leak in."""
    found = []
    for person in people:
        for phone in person["phones"]:
            found += [phone, phone.lstrip("+"), phone[3:]]
        found += [person["email"], person["email"].split("@")[0], person["first_name"], person["last_name"]]
    return found


def _clean(response: httpx.Response, secrets: list[str], what: str, error: bool = False) -> Any:
    assert (response.status_code >= 400) == error, f"{what}: {response.status_code} {response.text}"
    text = response.text
    leaked = [s for s in secrets if s in text or s.lower() in text.lower()]
    assert not leaked, f"{what} leaks {leaked}: {text[:800]}"
    return response.json() if text else None


def _ids(response: httpx.Response) -> set[int]:
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["items"]}


def _expected(masking: dict[str, str], person: dict[str, Any]) -> dict[str, Any]:
    """How the masked agent must see `person`'s fields."""
    def phone(p: str) -> str:
        return {"none": p, "partial": p[:4] + HIDDEN + p[-2:], "full": HIDDEN}[masking["phone"]]

    def name(n: str) -> str:
        return {"none": n, "partial": n[0] + HIDDEN, "full": HIDDEN}[masking["name"]]

    local, domain = person["email"].split("@")
    email = {"none": person["email"], "partial": f"{local[0]}{HIDDEN}@{domain}", "full": HIDDEN}[masking["email"]]
    return {"first_name": name(person["first_name"]), "last_name": name(person["last_name"]),
            "phones": [phone(p) for p in person["phones"]], "email": email}


MODES = [
    pytest.param({"phone": "full", "email": "full", "name": "full"}, id="full"),
    pytest.param({"phone": "partial", "email": "partial", "name": "partial"}, id="partial"),
]


@pytest.mark.parametrize("masking", MODES)
def test_a_masked_agent_never_gets_the_values_whole(desk: Desk, masking: dict[str, str]) -> None:
    admin, agent, sup = desk.admin, desk[AGENT], desk.sup
    other_list = f"Masked copies {uuid.uuid4().hex[:8]}"
    assert admin.post("/admin/lists", json={"name": other_list}).status_code == 201
    assert admin.put(f"/admin/lists/{other_list}/permissions",
                     json={"user": AGENT, "view": True, "add": True, "edit": True}).status_code == 200
    customer, twin, typed = _person(), _person(), _person()
    secrets = _secrets(customer, twin, typed)
    r = admin.post("/contacts", json={"list": "Customers", "company": "Masked Co", **customer})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = admin.post("/contacts", json={"list": "Customers", **twin})
    assert r.status_code == 201, r.text
    twin_id = r.json()["id"]

    with _masking(admin, masking):
        # the conversation with that customer, linked to the contact by the number
        desk.online(AGENT)
        full_name = f"{customer['first_name']} {customer['last_name']}"
        interaction_id = desk.inbound(customer["phones"][0], "hello, I need help", name=full_name)
        agent.wait_for_offer(interaction_id)
        offers = _clean(agent.get("/offers"), secrets, "offers")
        assert any(o["interaction_id"] == interaction_id for o in offers["items"])
        desk.accept(AGENT, interaction_id)
        view = _clean(agent.get(f"/interactions/{interaction_id}"), secrets, "interaction")
        assert view["contact"]["id"] == cid
        _clean(agent.get("/interactions", params={"status": "open"}), secrets, "interactions list")
        _clean(agent.get(f"/interactions/{interaction_id}/messages"), secrets, "messages")
        _clean(agent.get(f"/contacts/{cid}/journey"), secrets, "journey")
        assert desk.get(interaction_id, "supervisor")["contact"]["phone"] == customer["phones"][0]

        # reading
        got = _clean(agent.get(f"/contacts/{cid}"), secrets, "contact")
        assert {k: got[k] for k in ("first_name", "last_name", "phones", "email")} == _expected(masking, customer)
        assert got["company"] == "Masked Co"
        assert set(got["hidden"]) == {"first_name", "last_name", "email", "phones"}
        _clean(agent.get("/contacts", params={"list": "Customers"}), secrets, "list")
        _clean(agent.get("/contacts", params={"q": customer["phones"][0]}), secrets, "quick search")
        _clean(agent.get("/contacts", params={"company": "Masked Co"}), secrets, "advanced search")
        whole = sup.get(f"/contacts/{cid}").json()
        assert (whole["first_name"], whole["phones"], whole["email"]) == (
            customer["first_name"], customer["phones"], customer["email"])

        # writing: every answer masked, even of what the agent typed in themselves
        created = _clean(agent.post("/contacts", json={"list": "Customers", **typed}), secrets, "create")
        assert {k: created[k] for k in ("first_name", "last_name", "phones", "email")} == _expected(masking, typed)
        _clean(agent.patch(f"/contacts/{cid}", json={"company": "Masked & Co"}), secrets, "update")
        _clean(agent.get("/my-contacts"), secrets, "my contacts")
        assert {cid, created["id"]} <= _ids(agent.get("/my-contacts"))
        copy = _clean(agent.post(f"/contacts/{cid}/duplicate", json={"list": other_list}), secrets, "duplicate")
        assert copy["list"] == other_list
        # the number is in that list now: the clash is reported without showing it
        clash = agent.post(f"/contacts/{cid}/duplicate", json={"list": other_list})
        assert_error(clash, 409, "duplicate")
        _clean(clash, secrets, "duplicate clash", error=True)
        clash = agent.patch(f"/contacts/{copy['id']}", json={"list": "Customers"})  # moving it back clashes too
        assert_error(clash, 409, "duplicate")
        _clean(clash, secrets, "move clash", error=True)
        merged = _clean(agent.post(f"/contacts/{cid}/merge", json={"other": twin_id}), secrets, "merge")
        assert len(merged["phones"]) == 2
        assert sorted(sup.get(f"/contacts/{cid}").json()["phones"]) == sorted(customer["phones"] + twin["phones"])
        _clean(agent.get(f"/contacts/{cid}"), secrets, "merged contact")
        _clean(agent.get("/contacts", params={"q": twin["phones"][0]}), secrets, "search after merge")

        # what is hidden cannot be changed (and is not)
        for change in ({"phones": [new_phone()]}, {"email": "new@maskmail.example"}, {"first_name": "New"},
                       {"last_name": "New"}, {"company": "Fine", "email": "x@maskmail.example"}):
            assert_error(agent.patch(f"/contacts/{cid}", json=change), 403, "forbidden")
        after = sup.get(f"/contacts/{cid}").json()
        assert (after["first_name"], after["last_name"], after["email"], after["company"]) == (
            customer["first_name"], customer["last_name"], customer["email"], "Masked & Co")
        assert sorted(after["phones"]) == sorted(customer["phones"] + twin["phones"])
        desk.close(AGENT, interaction_id)


@pytest.mark.parametrize("masking", MODES)
def test_a_masked_agent_finds_by_the_whole_value_only(desk: Desk, masking: dict[str, str]) -> None:
    admin, agent, sup = desk.admin, desk[AGENT], desk.sup
    customer = _person()
    phone = customer["phones"][0]  # +39333NNNNNNN
    r = admin.post("/contacts", json={"list": "Customers", **customer})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    formats = [phone, f"{phone[:3]} {phone[3:6]} {phone[6:9]} {phone[9:]}", "00" + phone[1:], phone[1:],
               f"+39-{phone[3:6]}-{phone[6:]}"]
    partial_digits = [phone[3:11], phone[-7:], phone[1:10]]
    partial_names = [customer["first_name"][:5], customer["last_name"][:-2], customer["first_name"][1:]]
    partial_emails = [customer["email"].split("@")[0], customer["email"][:-3]]
    whole_names = [customer["first_name"], customer["last_name"], customer["last_name"].upper(),
                   f"{customer['first_name']} {customer['last_name']}"]

    # unmasked, everyone finds them by any part
    for q in partial_digits + partial_names + partial_emails:
        assert cid in _ids(agent.get("/contacts", params={"q": q})), q
    with _masking(admin, masking):
        for q in formats:
            assert _ids(agent.get("/contacts", params={"q": q})) == {cid}, q
            assert _ids(agent.get("/contacts", params={"phone": q})) == {cid}, q
        for q in whole_names:
            assert cid in _ids(agent.get("/contacts", params={"q": q})), q
        assert _ids(agent.get("/contacts", params={"q": customer["email"]})) == {cid}
        assert _ids(agent.get("/contacts", params={"email": customer["email"].upper()})) == {cid}
        assert _ids(agent.get("/contacts", params={"first_name": customer["first_name"]})) == {cid}
        assert _ids(agent.get("/contacts", params={"last_name": customer["last_name"]})) == {cid}

        for q in partial_digits:
            assert _ids(agent.get("/contacts", params={"q": q})) == set(), q
            assert _ids(agent.get("/contacts", params={"phone": q})) == set(), q
            assert cid in _ids(sup.get("/contacts", params={"q": q})), q  # supervisors are not masked
        for q in partial_names + partial_emails:
            assert cid not in _ids(agent.get("/contacts", params={"q": q})), q
            assert cid in _ids(sup.get("/contacts", params={"q": q})), q
        assert cid not in _ids(agent.get("/contacts", params={"first_name": customer["first_name"][:5]}))
        assert cid not in _ids(agent.get("/contacts", params={"last_name": customer["last_name"][:5]}))
        assert cid not in _ids(agent.get("/contacts", params={"email": partial_emails[0]}))
        assert cid in _ids(admin.get("/contacts", params={"email": partial_emails[0]}))
    # masking off: parts find again
    assert cid in _ids(agent.get("/contacts", params={"q": partial_digits[0]}))


def test_masking_is_per_field(desk: Desk) -> None:
    """Only the phone masked: the agent sees and may change the name and email, never the number."""
    admin, agent = desk.admin, desk[AGENT]
    customer = _person()
    r = admin.post("/contacts", json={"list": "Customers", **customer})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    with _masking(admin, {"phone": "partial"}):
        phone = customer["phones"][0]
        phone_forms = [phone, phone.lstrip("+"), phone[3:]]
        got = _clean(agent.get(f"/contacts/{cid}"), phone_forms, "contact")
        assert got["hidden"] == ["phones"]
        assert (got["first_name"], got["email"]) == (customer["first_name"], customer["email"])
        assert got["phones"] == [phone[:4] + HIDDEN + phone[-2:]]
        assert cid in _ids(agent.get("/contacts", params={"q": customer["first_name"][:5]}))
        r = agent.patch(f"/contacts/{cid}", json={"email": "changed@maskmail.example", "first_name": "Changed"})
        assert r.status_code == 200, r.text
        assert (r.json()["email"], r.json()["first_name"]) == ("changed@maskmail.example", "Changed")
        _clean(r, phone_forms, "update")
        assert_error(agent.patch(f"/contacts/{cid}", json={"phones": [phone]}), 403, "forbidden")
        # supervisors and admins are never masked
        for viewer in (desk.sup, admin):
            seen = viewer.get(f"/contacts/{cid}").json()
            assert seen["phones"] == [phone] and seen["hidden"] == []


def test_masking_setting_is_validated(clients: dict[str, Api]) -> None:
    admin = clients["admin"]
    before = admin.get("/admin/settings").json()["masking"]
    for body in ({"masking": {"phone": "half"}}, {"masking": {"address": "full"}}, {"masking": "full"},
                 {"masking": {"name": None}}):
        assert_error(admin.put("/admin/settings", json=body), 422, "invalid")
    assert admin.get("/admin/settings").json()["masking"] == before


def test_a_masked_agent_reads_the_notes_masked_and_cannot_change_them(desk: Desk) -> None:
    admin, agent = desk.admin, desk[AGENT]
    customer, plain = _person(), _person()
    phone = customer["phones"][0]
    notes = (f"{customer['first_name']} {customer['last_name'].upper()} prefers calls on {phone[:3]} "
             f"{phone[3:6]} {phone[6:]}, else {customer['email']}.")
    cid = admin.post("/contacts", json={"list": "Customers", "notes": notes, **customer}).json()["id"]
    plain_id = admin.post("/contacts", json={"list": "Customers", "notes": "Prefers mornings.", **plain}).json()["id"]
    assert agent.patch(f"/contacts/{cid}", json={"company": "Noted Co"}).status_code == 200  # in my-contacts
    secrets = _secrets(customer) + [f"{phone[3:6]} {phone[6:]}"]
    with _masking(admin, {"phone": "partial", "email": "full", "name": "partial"}):
        got = _clean(agent.get(f"/contacts/{cid}"), secrets, "contact")
        first, last = customer["first_name"], customer["last_name"]
        assert got["notes"] == f"{first[0]}{HIDDEN} {last[0].upper()}{HIDDEN} prefers calls on " \
                               f"{phone[:4]}{HIDDEN}{phone[-2:]}, else {HIDDEN}."
        assert "notes" in got["hidden"]
        _clean(agent.get("/contacts", params={"company": "Noted Co"}), secrets, "search")
        _clean(agent.get("/contacts", params={"list": "Customers", "page_size": 200}), secrets, "list")
        _clean(agent.get("/my-contacts"), secrets, "my contacts")
        assert_error(agent.patch(f"/contacts/{cid}", json={"notes": got["notes"] + " Also Sundays."}), 403)
        assert admin.get(f"/contacts/{cid}").json()["notes"] == notes
        # notes that hold nothing hidden read and change as before
        seen = agent.get(f"/contacts/{plain_id}").json()
        assert seen["notes"] == "Prefers mornings." and "notes" not in seen["hidden"]
        assert agent.patch(f"/contacts/{plain_id}", json={"notes": "Evenings."}).json()["notes"] == "Evenings."
        assert desk.sup.get(f"/contacts/{cid}").json()["notes"] == notes


def test_my_contacts_finds_a_masked_value_by_the_whole_value_only(desk: Desk) -> None:
    admin, agent = desk.admin, desk[AGENT]
    customer = _person()
    phone = customer["phones"][0]
    cid = agent.post("/contacts", json={"list": "Customers", **customer}).json()["id"]
    with _masking(admin, {"phone": "partial", "email": "partial", "name": "partial"}):
        for params in ({"q": phone}, {"phone": phone}, {"q": customer["email"]}, {"email": customer["email"]},
                       {"first_name": customer["first_name"]}, {"q": customer["last_name"]}):
            assert cid in _ids(agent.get("/my-contacts", params=params)), params
        for params in ({"q": phone[:9]}, {"phone": phone[3:10]}, {"q": customer["email"][:6]},
                       {"email": customer["email"][:-4]}, {"first_name": customer["first_name"][:4]},
                       {"q": customer["last_name"][:5]}):
            assert cid not in _ids(agent.get("/my-contacts", params=params)), params


def test_a_masked_agent_searches_the_notes_as_they_read_them(desk: Desk) -> None:
    """A search in the notes matches what the agent is shown: a part of a masked detail finds nothing."""
    admin, agent = desk.admin, desk[AGENT]
    customer = _person()
    phone = customer["phones"][0]
    notes = f"Ask for {customer['first_name']}, who prefers calls on {phone} after six."
    cid = admin.post("/contacts", json={"list": "Customers", "notes": notes, **customer}).json()["id"]
    parts = [{"notes": phone[3:9]}, {"notes": customer["first_name"][:5]}, {"notes": f"calls on {phone[:6]}"}]
    with _masking(admin, {"phone": "partial", "email": "partial", "name": "partial"}):
        for params in parts:
            assert cid not in _ids(agent.get("/contacts", params=params)), params
            assert cid in _ids(desk.sup.get("/contacts", params=params)), params
        found = agent.get("/contacts", params={"notes": "PREFERS calls", "page_size": 1})
        assert cid in _ids(found) and found.json()["total"] >= 1
        assert cid in _ids(agent.get("/contacts", params={"notes": f"{phone[-2:]} after six"}))
    for params in parts:
        assert cid in _ids(agent.get("/contacts", params=params)), params
