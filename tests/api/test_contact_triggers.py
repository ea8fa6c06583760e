"""Phone numbers and contact triggers (SPEC C2, C9): a number typed in any format is stored once, in E.164
(one without a country code belongs to the workspace's default region); a customer writing from a known
number is linked to that contact; an unknown number creates a contact in the list of the entry point's
trigger (the account's before the queue's), named from the WhatsApp profile, and with no trigger nothing
is created."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.conftest import QUEUE, Desk, assert_error, new_id, new_phone
from tests.serverproc import Api

DEMO_ACCOUNTS = ("sandbox", "meta-demo", "twilio-demo")


def _uid() -> str:
    return "u" + uuid.uuid4().hex[:9]  # a letter first: an all-digit marker would be searched as a number


def _triggers(admin: Api) -> list[dict[str, Any]]:
    r = admin.get("/admin/triggers")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _drop_triggers(admin: Api) -> None:
    for trigger in _triggers(admin):
        assert admin.delete(f"/admin/triggers/{trigger['id']}").status_code == 204
    assert _triggers(admin) == []


def _trigger(admin: Api, **body: str) -> dict[str, Any]:
    r = admin.post("/admin/triggers", json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(autouse=True)
def demo_triggers_and_region(clients: dict[str, Api]) -> Iterator[None]:
    """Every test ends with the demo's triggers (every account into Customers) and no default region."""
    yield
    admin = clients["admin"]
    _drop_triggers(admin)
    for account in DEMO_ACCOUNTS:
        _trigger(admin, account=account, list="Customers")
    assert admin.put("/admin/settings", json={"default_region": ""}).status_code == 200
    assert sorted((t["account"], t["queue"], t["list"]) for t in _triggers(admin)) == sorted(
        (account, None, "Customers") for account in DEMO_ACCOUNTS)


def _new_list(admin: Api, prefix: str) -> str:
    name = f"{prefix} {_uid()}"
    assert admin.post("/admin/lists", json={"name": name}).status_code == 201
    return name


def _contact(admin: Api, **body: Any) -> dict[str, Any]:
    r = admin.post("/contacts", json={"list": "Customers", **body})
    assert r.status_code == 201, r.text
    return r.json()


def _holders(admin: Api, phone: str) -> list[dict[str, Any]]:
    """Every contact, of any list, with this number."""
    r = admin.get("/contacts", params={"phone": phone, "page_size": 200})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])
    return r.json()["items"]


def _conversation(desk: Desk, phone: str, name: str = "", text: str = "hello") -> tuple[int, int | None]:
    """A conversation from `phone` (in whatever format the provider sends it), taken and closed by agent1;
    returns its id and the id of the contact it is linked to."""
    interaction_id = desk.inbound(phone, text, name=name)
    desk.accept("agent1", interaction_id)
    desk.close("agent1", interaction_id)
    return interaction_id, desk.get(interaction_id, "admin")["contact"]["id"]


def _spaced(e164: str) -> str:
    """'+393331234567' -> '+39 333 123 4567'."""
    return f"{e164[:3]} {e164[3:6]} {e164[6:9]} {e164[9:]}"


def test_a_number_in_any_format_is_one_number_in_e164(clients: dict[str, Api]) -> None:
    admin = clients["admin"]
    assert admin.put("/admin/settings", json={"default_region": "it"}).json()["default_region"] == "IT"
    phone = new_phone()  # +39333NNNNNNN
    national = phone[3:]
    formats = [_spaced(phone), "0039" + national, national, f"({national[:3]}) {national[3:6]}-{national[6:]}",
               "+39-" + national, "whatsapp:" + phone]
    first = _contact(admin, first_name="Format", last_name=_uid(), phones=[formats[0]])
    assert first["phones"] == [phone]
    for typed in formats:  # the same number, however it is written: a duplicate in the same list
        error = assert_error(admin.post("/contacts", json={"list": "Customers", "first_name": "Again",
                                                            "phones": [typed]}), 409, "duplicate")
        assert str(first["id"]) in error["message"]
    elsewhere = _new_list(admin, "Formats")
    every = _contact(admin, list=elsewhere, first_name="Every", phones=formats)
    assert every["phones"] == [phone]  # one number, given six times
    for typed in formats:
        assert {c["id"] for c in _holders(admin, typed)} == {first["id"], every["id"]}, typed
        if not typed.startswith("whatsapp:"):  # a provider's prefix, not a way people type numbers
            found = admin.get("/contacts", params={"q": typed}).json()["items"]
            assert {c["id"] for c in found} == {first["id"], every["id"]}, typed
    # an edit in a national format is the same number too
    r = admin.patch(f"/contacts/{every['id']}", json={"phones": [national, "0039" + national]})
    assert r.status_code == 200 and r.json()["phones"] == [phone], r.text

    # without a default region, a number needs its country code
    assert admin.put("/admin/settings", json={"default_region": ""}).json()["default_region"] == ""
    error = assert_error(admin.post("/contacts", json={"list": elsewhere, "phones": [new_phone()[3:]]}),
                         422, "invalid")
    assert "phone" in error["message"]
    assert_error(admin.post("/contacts", json={"list": "Customers", "phones": ["0039" + national]}), 409,
                 "duplicate")
    for bad in ("12", "not a number", "+39 333", "+999 1234567", 393331234567, None):
        assert_error(admin.post("/contacts", json={"list": elsewhere, "first_name": "Bad", "phones": [bad]}), 422,
                     "invalid")
    for region in ("XX", "ITA", 39):
        assert_error(admin.put("/admin/settings", json={"default_region": region}), 422, "invalid")
    assert admin.get("/admin/settings").json()["default_region"] == ""


def test_a_known_number_links_to_its_contact_in_whatever_format_it_arrives(desk: Desk) -> None:
    admin = desk.admin
    assert admin.put("/admin/settings", json={"default_region": "IT"}).status_code == 200
    phone = new_phone()
    known = _contact(admin, first_name="Known", last_name=_uid(), phones=[phone[3:]])  # typed national
    assert known["phones"] == [phone]
    desk.online("agent1")
    seen = []
    for sent_as in (phone, "0039" + phone[3:], phone[1:]):  # E.164, international prefix, WhatsApp id
        interaction_id, contact_id = _conversation(desk, sent_as, name="Someone Else Entirely")
        assert contact_id == known["id"], sent_as
        assert desk.get(interaction_id)["contact"]["phone"] == phone
        seen.append(interaction_id)
        assert [c["id"] for c in _holders(admin, phone)] == [known["id"]]  # no new contact
    now = admin.get(f"/contacts/{known['id']}").json()
    assert (now["first_name"], now["last_name"]) == (known["first_name"], known["last_name"])  # profile name unused
    journey = admin.get(f"/contacts/{known['id']}/journey").json()
    assert [i["id"] for i in journey["items"]] == sorted(seen, reverse=True)
    assert all(i["account"] == "sandbox" and i["status"] == "closed" for i in journey["items"])


def test_a_known_number_in_another_list_is_linked_and_the_trigger_list_one_is_preferred(desk: Desk) -> None:
    admin = desk.admin
    desk.online("agent1")
    other = _new_list(admin, "Elsewhere")
    phone = new_phone()
    outside = _contact(admin, list=other, first_name="Outside", phones=[phone])
    _, contact_id = _conversation(desk, phone, name="Outside Person")
    assert contact_id == outside["id"]
    assert [c["id"] for c in _holders(admin, phone)] == [outside["id"]]  # not copied into Customers

    inside = _contact(admin, first_name="Inside", phones=[phone])  # now also in the trigger's list
    _, contact_id = _conversation(desk, phone)
    assert contact_id == inside["id"]
    assert {c["id"] for c in _holders(admin, phone)} == {outside["id"], inside["id"]}


def test_an_unknown_number_creates_one_contact_in_the_trigger_list(desk: Desk) -> None:
    admin = desk.admin
    target = _new_list(admin, "Triggered")
    _trigger(admin, account="sandbox", list=target)
    sandbox = [t for t in _triggers(admin) if t["account"] == "sandbox"]
    assert [t["list"] for t in sandbox] == [target]  # one trigger per entry point: replaced, not added
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.inbound("0039" + phone[3:], "first message", name="Maria del Carmen Ruiz")
    desk.inbound(phone, "second message", name="Maria del Carmen Ruiz")  # the same conversation
    desk.accept("agent1", interaction_id)
    [made] = _holders(admin, phone)
    assert made["list"] == target and made["phones"] == [phone]
    assert (made["first_name"], made["last_name"]) == ("Maria del Carmen", "Ruiz")
    assert (made["email"], made["company"], made["tags"]) == ("", "", [])
    assert desk.get(interaction_id, "admin")["contact"]["id"] == made["id"]
    desk.close("agent1", interaction_id)
    again, contact_id = _conversation(desk, phone, name="Maria Ruiz")
    assert contact_id == made["id"] and again != interaction_id
    assert [c["id"] for c in _holders(admin, phone)] == [made["id"]]
    assert {i["id"] for i in admin.get(f"/contacts/{made['id']}/journey").json()["items"]} == {interaction_id, again}
    # a profile without a name still gets its contact, by number
    nameless = new_phone()
    _, contact_id = _conversation(desk, nameless)
    [made] = _holders(admin, nameless)
    assert made["id"] == contact_id and made["list"] == target and made["first_name"] == made["last_name"] == ""


def test_a_burst_from_unknown_numbers_creates_one_contact_each(desk: Desk) -> None:
    admin = desk.admin
    phones = [new_phone() for _ in range(3)]
    messages = [(phone, new_id()) for phone in phones for _ in range(4)]
    barrier = threading.Barrier(len(messages))

    def send(message: tuple[str, str]) -> int:
        phone, message_id = message
        barrier.wait()
        return desk.inbound(phone, "all at once", name=f"Burst {phone[-4:]}", message_id=message_id)

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        interactions = list(pool.map(send, messages))
    per_phone = {phone: {i for (p, _), i in zip(messages, interactions) if p == phone} for phone in phones}
    assert all(len(ids) == 1 for ids in per_phone.values()), per_phone  # one conversation per customer
    desk.online("agent1")
    for phone, (interaction_id,) in per_phone.items():
        [made] = _holders(admin, phone)
        assert made["list"] == "Customers" and made["last_name"] == phone[-4:]
        desk.accept("agent1", interaction_id)
        assert desk.get(interaction_id, "admin")["contact"]["id"] == made["id"]
        desk.close("agent1", interaction_id)


def test_without_a_trigger_no_contact_is_created(desk: Desk) -> None:
    admin = desk.admin
    known = _contact(admin, first_name="Still", last_name="Known", phones=[new_phone()])
    _drop_triggers(admin)
    desk.online("agent1")
    phone = new_phone()
    interaction_id, contact_id = _conversation(desk, phone, name="Nobody Saved")
    assert contact_id is None
    assert _holders(admin, phone) == []
    assert admin.get("/contacts", params={"q": "Nobody Saved"}).json()["total"] == 0
    view = desk.get(interaction_id)
    assert view["contact"]["phone"] == phone and view["contact"]["name"] == "Nobody Saved"
    # a known number is still recognised
    _, contact_id = _conversation(desk, known["phones"][0])
    assert contact_id == known["id"]
    # saving the customer afterwards links the earlier conversation to the new contact (its journey)
    saved = _contact(admin, first_name="Saved", last_name="Later", phones=[phone])
    assert desk.get(interaction_id, "admin")["contact"]["id"] == saved["id"]
    assert [i["id"] for i in admin.get(f"/contacts/{saved['id']}/journey").json()["items"]] == [interaction_id]


def test_a_queue_trigger_applies_and_the_account_trigger_takes_precedence(desk: Desk) -> None:
    admin = desk.admin
    by_queue, by_account = _new_list(admin, "By queue"), _new_list(admin, "By account")
    _drop_triggers(admin)
    queue_trigger = _trigger(admin, queue=QUEUE, list=by_queue)
    assert (queue_trigger["queue"], queue_trigger["account"], queue_trigger["list"]) == (QUEUE, None, by_queue)
    desk.online("agent1")

    phone = new_phone()
    _, contact_id = _conversation(desk, phone, name="Queue Customer")
    [made] = _holders(admin, phone)
    assert made["id"] == contact_id and made["list"] == by_queue

    account_trigger = _trigger(admin, account="sandbox", list=by_account)
    phone = new_phone()
    _, contact_id = _conversation(desk, phone, name="Account Customer")
    [made] = _holders(admin, phone)
    assert made["id"] == contact_id and made["list"] == by_account

    assert admin.delete(f"/admin/triggers/{account_trigger['id']}").status_code == 204
    assert_error(admin.delete(f"/admin/triggers/{account_trigger['id']}"), 404, "not_found")
    phone = new_phone()
    _, contact_id = _conversation(desk, phone, name="Queue Again")
    [made] = _holders(admin, phone)
    assert made["id"] == contact_id and made["list"] == by_queue


def test_trigger_definitions_are_checked(clients: dict[str, Api]) -> None:
    admin = clients["admin"]
    before = _triggers(admin)
    for body in ({"list": "Customers"}, {"account": "sandbox", "queue": QUEUE, "list": "Customers"},
                 {"account": "sandbox"}, {"account": "sandbox", "list": ""}, [], "sandbox"):
        assert_error(admin.post("/admin/triggers", json=body), 422, "invalid")
    for body in ({"account": "no-such-account", "list": "Customers"}, {"queue": "NoSuchQueue", "list": "Customers"},
                 {"account": "sandbox", "list": f"No such list {_uid()}"}):
        assert_error(admin.post("/admin/triggers", json=body), 404, "not_found")
    assert_error(admin.delete("/admin/triggers/2000000000"), 404, "not_found")
    assert _triggers(admin) == before
