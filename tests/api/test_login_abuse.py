"""Sign-in abuse: wrong passwords are throttled per user (429 with Retry-After, a success resets the count),
and a flood of them runs on the password pool without holding up other work."""
from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import Desk, assert_error
from tests.serverproc import Api, ServerProcess


def _login(server: ServerProcess, username: str, password: str) -> httpx.Response:
    return httpx.post(server.base + "/api/v1/auth/login", json={"username": username, "password": password},
                      timeout=60)


def test_after_ten_wrong_passwords_even_the_right_one_is_told_to_wait(demo_server: ServerProcess,
                                                                       clients: dict[str, Api]) -> None:
    """(`clients`: the module's users sign in before agent5 is locked out.)"""
    for _ in range(10):
        assert_error(_login(demo_server, "agent5", "guess"), 401, "bad_credentials")
    refused = _login(demo_server, "agent5", "demo")
    assert "Try again in" in assert_error(refused, 429, "too_many_attempts")["message"]
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert_error(_login(demo_server, "AGENT5 ", "demo"), 429, "too_many_attempts")  # the same user, written otherwise
    assert _login(demo_server, "agent4", "demo").status_code == 200  # others sign in from the same address


def test_a_success_resets_the_users_count(demo_server: ServerProcess) -> None:
    for _ in range(2):
        for _ in range(9):
            assert_error(_login(demo_server, "agent3", "guess"), 401, "bad_credentials")
        assert _login(demo_server, "agent3", "demo").status_code == 200


def test_a_flood_of_wrong_passwords_does_not_hold_up_other_work(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    token = desk["agent1"].headers["Authorization"]

    async def flood() -> tuple[httpx.Response, int, list[int]]:
        async with httpx.AsyncClient(base_url=desk.server.base, timeout=120) as client:
            answered: list[int] = []

            async def attempt(i: int) -> None:
                r = await client.post("/api/v1/auth/login", json={"username": f"flood{i}", "password": "x"})
                answered.append(r.status_code)

            attempts = [asyncio.create_task(attempt(i)) for i in range(18)]
            while not answered:  # the password threads are at work and the other attempts wait in line
                await asyncio.sleep(0.01)
            transcript = await client.get(f"/api/v1/interactions/{interaction_id}/transcript.pdf",
                                          headers={"Authorization": token})
            answered_meanwhile = len(answered)
            await asyncio.gather(*attempts)
            return transcript, answered_meanwhile, answered

    transcript, answered_meanwhile, answered = asyncio.run(flood())
    assert transcript.status_code == 200 and transcript.content.startswith(b"%PDF")
    assert answered_meanwhile < 9, answered_meanwhile  # the transcript did not wait for the flood to drain
    assert set(answered) <= {401, 503} and len(answered) == 18
    desk.close("agent1", interaction_id)
