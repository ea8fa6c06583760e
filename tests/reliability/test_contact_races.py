"""Contacts changed by several users at once, with inbound messages linking and creating contacts, on SQLite
and on PostgreSQL (SPEC C1, C2, C5, C9): nobody's change is lost, one number stays one contact per list,
and no request fails with a server error."""
from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.postgres import postgres_binaries, postgres_server
from tests.serverproc import Api, ServerProcess

pytestmark = pytest.mark.system  # run by .ci/run after the README suite (see pyproject.toml)

ROUNDS = 10
_numbers = itertools.count(random.randrange(1_000_000, 8_000_000))


def new_phone() -> str:
    return f"+39338{next(_numbers):07d}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"] if postgres_binaries() else ["sqlite"])
def server(request, tmp_path_factory) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        process = ServerProcess(tmp_path_factory.mktemp("sqlite")).start()
        yield process
        process.stop()
        return
    with postgres_server() as url:
        process = ServerProcess(tmp_path_factory.mktemp("pg"), database_url=url).start()
        yield process
        process.stop()


@pytest.fixture(scope="module")
def clients(server: ServerProcess) -> Iterator[list[Api]]:
    """One signed-in client per thread (admins and the supervisor may all edit the demo's Customers)."""
    apis = [Api(server.base, "admin" if i % 2 else "supervisor") for i in range(6)]
    yield apis
    for api in apis:
        api.client.close()


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Every call at the same moment, each on its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        responses = list(pool.map(run, calls))
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    return responses


def contact(api: Api, **body: Any) -> dict[str, Any]:
    r = api.post("/contacts", json={"list": "Customers", **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_concurrent_edits_of_different_fields_keep_both(server: ServerProcess, clients: list[Api]) -> None:
    admin = clients[1]
    r = admin.post("/admin/custom-fields", json={"list": "Customers", "name": "city", "kind": "text"})
    assert r.status_code in (201, 409), r.text
    for n in range(ROUNDS):
        first = f"Before{uuid.uuid4().hex[:8]}"
        saved = contact(admin, first_name=first, last_name="Race", phones=[new_phone()])
        renamed = f"Renamed{uuid.uuid4().hex[:8]}"
        a, b = clients[0], clients[1]
        at_once([lambda: a.patch(f"/contacts/{saved['id']}", json={"first_name": renamed, "company": f"Co{n}"}),
                 lambda: b.patch(f"/contacts/{saved['id']}", json={"fields": {"city": f"City{n}"}})])
        now = admin.get(f"/contacts/{saved['id']}").json()
        assert (now["first_name"], now["company"], now["fields"].get("city")) == (renamed, f"Co{n}", f"City{n}")
        assert [c["id"] for c in admin.get("/contacts", params={"q": renamed}).json()["items"]] == [saved["id"]]


def test_one_number_is_one_contact_in_a_list_whoever_saves_it_at_the_same_time(server: ServerProcess,
                                                                                  clients: list[Api]) -> None:
    admin = clients[1]
    for _ in range(ROUNDS):
        phone = new_phone()
        creates = [lambda api=api: api.post("/contacts", json={"list": "Customers", "first_name": "Same",
                                                                "phones": [phone]}) for api in clients[:4]]
        inbound = [lambda: httpx.post(f"{server.base}/webhooks/sandbox/sandbox", timeout=20,
                                      json={"id": uuid.uuid4().hex, "from": phone, "text": "hi", "name": "Same One"})]
        responses = at_once(creates + inbound)
        assert responses[-1].status_code == 200  # the message is stored, whatever else happened
        statuses = sorted(r.status_code for r in responses[:-1])
        assert statuses.count(201) <= 1 and set(statuses) <= {201, 409}, statuses
        found = admin.get("/contacts", params={"list": "Customers", "phone": phone}).json()
        assert found["total"] == 1, found  # one contact: created by a user or by the trigger, never both
        interaction = admin.get(f"/interactions/{responses[-1].json()['interaction_id']}").json()
        assert interaction["contact"]["id"] == found["items"][0]["id"]


def test_edits_merges_and_inbound_together_fail_nothing_and_lose_no_message(server: ServerProcess,
                                                                            clients: list[Api]) -> None:
    admin = clients[1]
    for n in range(ROUNDS // 2):
        people = [contact(admin, first_name=f"P{n}{i}", phones=[new_phone()]) for i in range(4)]
        sent: list[str] = []

        def message(phone: str) -> httpx.Response:
            sent.append(message_id := uuid.uuid4().hex)
            return httpx.post(f"{server.base}/webhooks/sandbox/sandbox", timeout=20,
                              json={"id": message_id, "from": phone, "text": "hello", "name": "Someone"})

        calls = [lambda: clients[0].post(f"/contacts/{people[0]['id']}/merge", json={"other": people[1]["id"]}),
                 lambda: clients[2].patch(f"/contacts/{people[1]['id']}", json={"phones": [new_phone()]}),
                 lambda: clients[3].post(f"/contacts/{people[2]['id']}/merge", json={"other": people[3]["id"]}),
                 lambda: clients[4].patch(f"/contacts/{people[3]['id']}", json={"company": "X", "tags": ["VIP"]}),
                 *(lambda p=p: message(p["phones"][0]) for p in people)]
        responses = at_once(calls)
        assert all(r.status_code == 200 for r in responses[4:]), [r.text for r in responses[4:]]
        assert all(r.status_code in (200, 404) for r in responses[:4]), [r.text for r in responses[:4]]
        stored = [admin.get(f"/interactions/{r.json()['interaction_id']}").json() for r in responses[4:]]
        assert len(stored) == len(sent) and all(s["status"] == "open" for s in stored)
        for interaction in stored:  # linked to a contact that exists (a merged one's conversations moved)
            assert admin.get(f"/contacts/{interaction['contact']['id']}").status_code == 200
