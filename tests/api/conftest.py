"""Helpers for the REST API tests: signed-in clients per module, unique numbers, a known desk per test.

Every test module gets its own `python -m server --demo` (tests/conftest.py). The agents keep their
state between the tests of a module, so `desk` puts every agent offline with nothing open before
and after each test, and fails a test that leaves interactions waiting in the queue (or a desk that
still counts a closed interaction). At the end of each module the server's log must hold no traceback
and no ERROR line.
"""
from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest

from tests.serverproc import Api, ServerProcess

AGENTS = [f"agent{i}" for i in range(1, 6)]
USERS = ["admin", "supervisor", *AGENTS]
QUEUE = "WhatsAppConn1"
CAPACITY = 5

T = TypeVar("T")
_numbers = itertools.count(random.randrange(1_000_000, 8_000_000))


def new_phone() -> str:
    """A valid Italian mobile number in E.164, different on every call."""
    return f"+39333{next(_numbers):07d}"


def new_id() -> str:
    """A provider message id, different on every call."""
    return f"wamid.{uuid.uuid4().hex}"


def eventually(check: Callable[[], T], timeout: float = 5.0, interval: float = 0.02, what: str = "") -> T:
    """Poll `check` until it returns something truthy; fail with the last value after `timeout`."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {what or check} (last: {value!r})")
        time.sleep(interval)


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Each call on a thread of its own, all released at the same moment (a race); their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls, timeout=60))


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error: the status and exactly `{"error": {"code", "message"}}`, with `"field"` when the
    error concerns one input."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) - {"field"} == {"code", "message"}, error
    assert isinstance(error.get("field", ""), str), error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    if code is not None:
        assert error["code"] == code, error
    return error


class Desk:
    """The demo workspace driven through the API, as the tests need it."""

    def __init__(self, server: ServerProcess, clients: dict[str, Api]) -> None:
        self.server = server
        self.clients = clients

    def __getitem__(self, username: str) -> Api:
        return self.clients[username]

    @property
    def sup(self) -> Api:
        return self.clients["supervisor"]

    @property
    def admin(self) -> Api:
        return self.clients["admin"]

    # --- agents ------------------------------------------------------------------------------
    def set_state(self, username: str, state: str, reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"state": state}
        if reason is not None:
            body["reason"] = reason
        r = self[username].put("/me/state", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def online(self, *usernames: str) -> None:
        for username in usernames:
            self.set_state(username, "online")

    def offline(self, *usernames: str) -> None:
        for username in usernames:
            self.set_state(username, "offline")

    def me(self, username: str) -> dict[str, Any]:
        r = self[username].get("/me")
        assert r.status_code == 200, r.text
        return r.json()

    def offer_ids(self, username: str) -> list[int]:
        r = self[username].get("/offers")
        assert r.status_code == 200, r.text
        return [o["interaction_id"] for o in r.json()["items"]]

    def no_offer_for(self, username: str, interaction_id: int, wait: float = 0.4) -> None:
        """`username` does not get an offer for the interaction, not even a little later."""
        deadline = time.time() + wait
        while time.time() < deadline:
            assert interaction_id not in self.offer_ids(username), f"{username} was offered {interaction_id}"
            time.sleep(0.05)

    # --- interactions ------------------------------------------------------------------------
    def inbound(self, phone: str, text: str = "hello", name: str = "", message_id: str | None = None) -> int:
        r = self.admin.inbound(message_id or new_id(), phone, text, name=name)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "stored", r.json()
        return r.json()["interaction_id"]

    def accept(self, username: str, interaction_id: int) -> dict[str, Any]:
        self[username].wait_for_offer(interaction_id)
        r = self[username].post(f"/interactions/{interaction_id}/accept")
        assert r.status_code == 200, r.text
        assert r.json() == {"interaction_id": interaction_id, "owner": username}
        return r.json()

    def open_for(self, username: str, phone: str | None = None, text: str = "hello", name: str = "") -> int:
        """A new conversation, offered to and accepted by `username` (who must be online)."""
        interaction_id = self.inbound(phone or new_phone(), text, name=name)
        self.accept(username, interaction_id)
        return interaction_id

    def get(self, interaction_id: int, username: str = "supervisor") -> dict[str, Any]:
        r = self[username].get(f"/interactions/{interaction_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def close(self, username: str, interaction_id: int, disposition: str | None = None) -> dict[str, Any]:
        body = {"disposition": disposition} if disposition else {}
        r = self[username].post(f"/interactions/{interaction_id}/close", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def history_kinds(self, interaction_id: int) -> list[str]:
        return [h["kind"] for h in self.get(interaction_id)["history"]]

    def waiting(self) -> int:
        r = self.sup.get("/queues")
        assert r.status_code == 200, r.text
        return next(q["waiting"] for q in r.json()["items"] if q["name"] == QUEUE)

    # --- a known state -----------------------------------------------------------------------
    def reset(self) -> None:
        """Every agent offline, with nothing open (a desk that still counts a closed one leaks capacity)."""
        for username in AGENTS:
            for interaction_id in self.me(username)["open_interactions"]:
                self[username].post(f"/interactions/{interaction_id}/close", json={})
            self.offline(username)
        for username in AGENTS:
            eventually(lambda u=username: (me := self.me(u))["open_interactions"] == [] and me["unread_total"] == 0,
                       what=f"{username} has nothing open")

    def drain(self) -> int:
        """Take and close whatever still waits in the queue; returns how many there were."""
        left = self.waiting()
        if not left:
            return 0
        self.online(*AGENTS)
        deadline = time.time() + 3
        while self.waiting() and time.time() < deadline:
            for username in AGENTS:
                for interaction_id in self.offer_ids(username):
                    if self[username].post(f"/interactions/{interaction_id}/accept").status_code == 200:
                        self[username].post(f"/interactions/{interaction_id}/close", json={})
            time.sleep(0.05)
        self.reset()
        return left


@pytest.fixture(scope="module", autouse=True)
def server_log_is_clean(demo_server: ServerProcess) -> None:
    """No request of the module made the server log a traceback or an error."""
    yield
    problems = [line for line in demo_server.log().splitlines() if "Traceback" in line or " ERROR " in line]
    assert not problems, "the server logged errors:\n" + "\n".join(problems[:20])


@pytest.fixture(scope="module")
def clients(demo_server: ServerProcess) -> dict[str, Api]:
    apis = {username: Api(demo_server.base, username) for username in USERS}
    yield apis
    for api in apis.values():
        api.client.close()


@pytest.fixture
def desk(demo_server: ServerProcess, clients: dict[str, Api]) -> Desk:
    """The demo workspace with every agent offline and nothing open, before and after the test."""
    d = Desk(demo_server, clients)
    d.reset()
    yield d
    d.reset()
    left = d.drain()
    assert left == 0, f"the test left {left} interaction(s) waiting in {QUEUE}"
