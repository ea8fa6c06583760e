"""Merging contacts (SPEC C5): the other contact goes into the survivor, which keeps its own values, fills
its empty ones from the other, and gains the other's tags, phone numbers and interactions (its journey);
the other is gone. Merges that race each other through real concurrent requests lose nothing: of two
opposite merges of one pair exactly one happens, and a ring of merges leaves every number and every
interaction with a contact that still exists; a contact read while it is merged is whole or gone."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.conftest import Desk, assert_error, at_once, new_phone
from tests.serverproc import Api, ServerProcess

ROUNDS = 4
RACERS = 8


def _uid() -> str:
    return "u" + uuid.uuid4().hex[:9]  # a letter first: an all-digit marker would be searched as a number


def _contact(api: Api, **body: Any) -> dict[str, Any]:
    r = api.post("/contacts", json={"list": "Customers", **body})
    assert r.status_code == 201, r.text
    return r.json()


def _get(api: Api, contact_id: int) -> dict[str, Any] | None:
    r = api.get(f"/contacts/{contact_id}")
    if r.status_code == 404:
        assert_error(r, 404, "not_found")
        return None
    assert r.status_code == 200, r.text
    return r.json()


def _journey(api: Api, contact_id: int) -> set[int]:
    r = api.get(f"/contacts/{contact_id}/journey")
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])
    return {i["id"] for i in r.json()["items"]}


def _conversation(desk: Desk, phone: str, name: str = "") -> int:
    """A conversation from `phone`, taken and closed by agent1 (who must be online)."""
    interaction_id = desk.inbound(phone, "about my order", name=name)
    desk.accept("agent1", interaction_id)
    desk.close("agent1", interaction_id)
    return interaction_id


def _linked_to(desk: Desk, interaction_id: int) -> int | None:
    return desk.get(interaction_id, "admin")["contact"]["id"]


@pytest.fixture(scope="module")
def racers(demo_server: ServerProcess) -> Iterator[list[Api]]:
    """Separately signed-in clients, one per thread: admins and supervisors (who may edit Customers)."""
    apis = [Api(demo_server.base, "admin" if i % 2 else "supervisor") for i in range(RACERS)]
    yield apis
    for api in apis:
        api.client.close()


def _race(calls: list[tuple[Api, int, int]]) -> list[httpx.Response]:
    """Every merge (survivor, other) at the same moment, each on its own thread and connection."""
    return at_once([lambda api=api, survivor=survivor, other=other: api.post(f"/contacts/{survivor}/merge",
                                                                            json={"other": other})
                    for api, survivor, other in calls])


def test_merge_moves_interactions_tags_phones_and_fills_only_empty_fields(desk: Desk) -> None:
    admin = desk.admin
    marker = _uid()
    lst = f"Merge {marker}"
    assert admin.post("/admin/lists", json={"name": lst}).status_code == 201
    for name, kind in (("city", "text"), ("level", "number"), ("since", "date")):
        r = admin.post("/admin/custom-fields", json={"list": lst, "name": name, "kind": kind})
        assert r.status_code == 201, r.text
    survivor = _contact(admin, list=lst, first_name="Anna", company="ACME", phones=[new_phone()], tags=["VIP"],
                        fields={"city": "Rome"})
    other = _contact(admin, list=lst, first_name="Bella", last_name=f"Merged{marker}", email=f"b{marker}@example.com",
                     company="Other Inc", notes="prefers mornings", phones=[new_phone(), new_phone()],
                     tags=["Sales", "VIP"], fields={"city": "Milan", "level": 3, "since": "2020-01-31"})
    # agent2 edited the other one: after the merge it is among the contacts agent2 edited
    r = desk["agent2"].get(f"/contacts/{other['id']}")
    assert r.status_code == 404  # agent2 has no rights on this list yet
    assert admin.put(f"/admin/lists/{lst}/permissions",
                     json={"user": "agent2", "view": True, "edit": True}).status_code == 200
    assert desk["agent2"].patch(f"/contacts/{other['id']}", json={"notes": "prefers mornings"}).status_code == 200

    desk.online("agent1")
    mine = [_conversation(desk, survivor["phones"][0])]
    theirs = [_conversation(desk, other["phones"][0]), _conversation(desk, other["phones"][1]),
              _conversation(desk, other["phones"][0])]
    assert _journey(admin, survivor["id"]) == set(mine)
    assert _journey(admin, other["id"]) == set(theirs)
    assert all(_linked_to(desk, i) == other["id"] for i in theirs)

    r = admin.post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]})
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["id"] == survivor["id"] and merged["list"] == lst
    # its own values stay; the empty ones are filled from the other
    assert (merged["first_name"], merged["company"]) == ("Anna", "ACME")
    assert (merged["last_name"], merged["email"], merged["notes"]) == (
        f"Merged{marker}", f"b{marker}@example.com", "prefers mornings")
    assert merged["fields"] == {"city": "Rome", "level": 3, "since": "2020-01-31"}
    assert sorted(merged["tags"]) == ["Sales", "VIP"]
    assert sorted(merged["phones"]) == sorted(survivor["phones"] + other["phones"])
    assert admin.get(f"/contacts/{survivor['id']}").json() == {**merged}

    # the other is gone, everywhere
    for path in (f"/contacts/{other['id']}", f"/contacts/{other['id']}/journey"):
        assert_error(admin.get(path), 404, "not_found")
    assert_error(admin.post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]}), 404, "not_found")
    ids = {c["id"] for c in admin.get("/contacts", params={"list": lst}).json()["items"]}
    assert ids == {survivor["id"]}

    # interactions, searches by its numbers and email, My Contacts: all lead to the survivor
    assert _journey(admin, survivor["id"]) == set(mine + theirs)
    assert all(_linked_to(desk, i) == survivor["id"] for i in mine + theirs)
    for q in (*other["phones"], f"b{marker}@example.com", f"Merged{marker}"):
        assert [c["id"] for c in admin.get("/contacts", params={"q": q}).json()["items"]] == [survivor["id"]], q
    assert survivor["id"] in {c["id"] for c in desk["agent2"].get("/my-contacts").json()["items"]}
    # and the other's customer writing again is the survivor's customer
    later = _conversation(desk, other["phones"][1])
    assert _linked_to(desk, later) == survivor["id"]
    assert _journey(admin, survivor["id"]) == set(mine + theirs + [later])


def test_the_same_number_in_both_is_kept_once_and_other_lists_fields_are_not_carried(desk: Desk) -> None:
    admin = desk.admin
    marker = _uid()
    elsewhere = f"Merge other {marker}"
    assert admin.post("/admin/lists", json={"name": elsewhere}).status_code == 201
    assert admin.post("/admin/custom-fields", json={"list": elsewhere, "name": "shoe_size",
                                                    "kind": "number"}).status_code == 201
    shared = new_phone()
    survivor = _contact(admin, first_name="Same", last_name=marker, phones=[shared])
    other = _contact(admin, list=elsewhere, first_name="Same", last_name=marker, phones=[shared, new_phone()],
                     fields={"shoe_size": 42})
    r = admin.post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["phones"]) == sorted(other["phones"])
    assert r.json()["list"] == "Customers" and r.json()["fields"] == {}
    assert _get(admin, other["id"]) is None


def test_bad_merges_change_nothing(clients: dict[str, Api]) -> None:
    admin = clients["admin"]
    marker = _uid()
    a = _contact(admin, first_name="Bad", last_name=marker, phones=[new_phone()], tags=["VIP"])
    b = _contact(admin, first_name="Bad", last_name=marker, phones=[new_phone()], email=f"{marker}@example.com")
    error = assert_error(admin.post(f"/contacts/{a['id']}/merge", json={"other": a["id"]}), 422, "invalid")
    assert "itself" in error["message"]
    assert_error(admin.post(f"/contacts/{a['id']}/merge", json={"other": str(a["id"])}), 422, "invalid")
    for other in (None, "abc", True, [b["id"]], {"id": b["id"]}, -b["id"], 1.5):
        assert_error(admin.post(f"/contacts/{a['id']}/merge", json={"other": other}), 422, "invalid")
    assert_error(admin.post(f"/contacts/{a['id']}/merge", json={}), 422, "invalid")
    assert_error(admin.post(f"/contacts/{a['id']}/merge", json={"other": 2_000_000_000}), 404, "not_found")
    assert_error(admin.post("/contacts/2000000000/merge", json={"other": b["id"]}), 404, "not_found")
    for contact in (a, b):
        now = _get(admin, contact["id"])
        assert now is not None
        assert {k: now[k] for k in ("phones", "tags", "email")} == {k: contact[k] for k in ("phones", "tags", "email")}


def _pair(desk: Desk, n: int) -> tuple[list[dict[str, Any]], dict[int, list[int]]]:
    """`n` contacts in Customers with their own numbers, tags and a closed conversation each."""
    tags = [["VIP"], ["Sales", "Support"], ["Complaint"], []]
    made = [_contact(desk.admin, first_name=f"Race{i}", last_name=_uid(), phones=[new_phone(), new_phone()],
                     tags=tags[i % len(tags)]) for i in range(n)]
    conversations = {c["id"]: [_conversation(desk, c["phones"][0]), _conversation(desk, c["phones"][1])]
                     for c in made}
    return made, conversations


def _check_nothing_lost(desk: Desk, made: list[dict[str, Any]], conversations: dict[int, list[int]],
                        successes: int) -> dict[int, dict[str, Any]]:
    admin = desk.admin
    remaining = {c["id"]: now for c in made if (now := _get(admin, c["id"])) is not None}
    assert remaining, "every contact of the set is gone"
    # each merge that answered 200 removed exactly one contact; a 404 changed nothing
    assert successes == len(made) - len(remaining), (successes, sorted(remaining))
    held = [p for contact in remaining.values() for p in contact["phones"]]
    assert sorted(held) == sorted(p for c in made for p in c["phones"]), "a phone number was lost or doubled"
    assert set().union(*(set(c["tags"]) for c in remaining.values())) == set().union(*(set(c["tags"]) for c in made))
    journeys = {cid: _journey(admin, cid) for cid in remaining}
    every = [i for ids in conversations.values() for i in ids]
    assert sorted(i for ids in journeys.values() for i in ids) == sorted(every), "an interaction was lost"
    for interaction_id in every:
        owner = _linked_to(desk, interaction_id)
        assert owner in remaining and interaction_id in journeys[owner], (interaction_id, owner)
    for phone in held:  # a number finds the one contact that holds it now
        found = [c["id"] for c in admin.get("/contacts", params={"phone": phone}).json()["items"]]
        assert len(found) == 1 and phone in remaining[found[0]]["phones"], (phone, found)
    return remaining


def test_concurrent_opposite_merges_of_one_pair_do_exactly_one(desk: Desk, racers: list[Api]) -> None:
    desk.online("agent1")
    for _ in range(ROUNDS):
        (a, b), conversations = _pair(desk, 2)
        calls = [(api, a["id"], b["id"]) if i % 2 == 0 else (api, b["id"], a["id"]) for i, api in enumerate(racers)]
        responses = _race(calls)
        statuses = [r.status_code for r in responses]
        assert sorted(statuses) == [200] + [404] * (len(calls) - 1), [r.text for r in responses]
        for r in responses:
            if r.status_code == 404:
                assert_error(r, 404, "not_found")
        winner = next(call for call, r in zip(calls, responses) if r.status_code == 200)
        survivor_id, other_id = winner[1], winner[2]
        answer = next(r for r in responses if r.status_code == 200).json()
        assert answer["id"] == survivor_id
        assert sorted(answer["phones"]) == sorted(a["phones"] + b["phones"])
        remaining = _check_nothing_lost(desk, [a, b], conversations, successes=1)
        assert set(remaining) == {survivor_id} and _get(desk.admin, other_id) is None
        assert sorted(remaining[survivor_id]["tags"]) == sorted(set(a["tags"] + b["tags"]))


def test_a_ring_of_concurrent_merges_loses_no_number_and_no_interaction(desk: Desk, racers: list[Api]) -> None:
    desk.online("agent1")
    for round_ in range(ROUNDS):
        made, conversations = _pair(desk, 4)
        ids = [c["id"] for c in made]
        ring = [(ids[i], ids[(i + 1) % len(ids)]) for i in range(len(ids))]  # A<-B, B<-C, C<-D, D<-A
        if round_ % 2:
            ring += [(other, survivor) for survivor, other in ring]  # and every one the other way round too
        else:
            ring += ring  # or every one twice
        calls = [(racers[i % len(racers)], survivor, other) for i, (survivor, other) in enumerate(ring)]
        responses = _race(calls)
        for r in responses:
            assert r.status_code in (200, 404), r.text
            if r.status_code == 404:
                assert_error(r, 404, "not_found")
        successes = sum(r.status_code == 200 for r in responses)
        assert successes >= 1
        phones = {c["id"]: set(c["phones"]) for c in made}
        for (_, survivor, other), r in zip(calls, responses):
            if r.status_code == 200:  # the survivor as this merge left it: both contacts' numbers at least
                assert r.json()["id"] == survivor, r.text
                assert phones[survivor] | phones[other] <= set(r.json()["phones"]), r.text
        _check_nothing_lost(desk, made, conversations, successes)


def test_a_contact_read_while_it_is_merged_has_all_its_numbers_or_is_gone(racers: list[Api]) -> None:
    """Readers hammer both contacts of each pair while one is merged into the other: every answer shows a
    contact whole (all its numbers), or 404 once it is gone; never a contact caught half-merged."""
    pairs = [(_contact(racers[0], first_name="Read", last_name=_uid(), phones=[new_phone(), new_phone()]),
              _contact(racers[0], first_name="Read", last_name=_uid(), phones=[new_phone()])) for _ in range(12)]
    for survivor, other in pairs:
        merged = threading.Event()
        seen: list[tuple[int, dict[str, Any] | None]] = []

        def read(api: Api, contact_id: int) -> None:
            while not merged.is_set():
                seen.append((contact_id, _get(api, contact_id)))

        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            readers = [pool.submit(read, racers[i], (survivor, other)[i % 2]["id"]) for i in range(1, RACERS)]
            r = racers[0].post(f"/contacts/{survivor['id']}/merge", json={"other": other["id"]})
            merged.set()
            for reader in readers:
                reader.result()
        assert r.status_code == 200, r.text
        expected = {survivor["id"]: set(survivor["phones"]), other["id"]: set(other["phones"])}
        for contact_id, answer in seen:
            if answer is not None:
                assert expected[contact_id] <= set(answer["phones"]), answer
        assert _get(racers[0], other["id"]) is None
        assert set(_get(racers[0], survivor["id"])["phones"]) == expected[survivor["id"]] | expected[other["id"]]
