"""Sign-in throttling per username and per address (a sliding window), and the password pool's bounds."""
from __future__ import annotations

import asyncio

import pytest
from argon2 import PasswordHasher

from server.errors import Busy, Throttled
from server.services.login_throttle import PER_ADDRESS, PER_USER, WINDOW, LoginThrottle
from server.services.passwords import PasswordPool, hash_new_password


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_user_is_throttled_after_too_many_attempts_until_the_window_slides() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(PER_USER):
        throttle.begin("agent1", "10.0.0.1")
        clock.now += 1
    with pytest.raises(Throttled) as refused:
        throttle.begin("agent1", "10.0.0.2")  # another address does not help
    assert refused.value.status == 429 and refused.value.code == "too_many_attempts"
    assert refused.value.retry_after == WINDOW - PER_USER
    throttle.begin("agent2", "10.0.0.1")  # another user from the same address may still try
    clock.now += refused.value.retry_after
    throttle.begin("agent1", "10.0.0.1")  # the oldest attempt left the window


def test_a_success_resets_the_user_but_the_address_keeps_its_failures() -> None:
    throttle = LoginThrottle(Clock())
    for _ in range(PER_USER - 1):
        throttle.begin("agent1", "10.0.0.1")
    throttle.succeeded(throttle.begin("agent1", "10.0.0.1"))
    for _ in range(PER_USER - 1):
        throttle.begin("agent1", "10.0.0.1")
    for i in range(PER_ADDRESS - 2 * (PER_USER - 1)):
        throttle.begin(f"user{i}", "10.0.0.1")
    with pytest.raises(Throttled):
        throttle.begin("someone-else", "10.0.0.1")
    throttle.begin("someone-else", "10.0.0.9")


def test_an_unknown_address_throttles_by_username_only() -> None:
    throttle = LoginThrottle(Clock())
    for i in range(PER_ADDRESS + 1):
        throttle.begin(f"user{i}", None)
    with pytest.raises(Throttled):
        for _ in range(PER_USER + 1):
            throttle.begin("agent1", None)


async def test_the_password_pool_refuses_calls_beyond_its_line() -> None:
    pool = PasswordPool(workers=1, waiting=1)
    stored = await pool.hash("secret")
    running = [asyncio.ensure_future(pool.verify(stored, "wrong")) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Busy) as refused:
        await pool.verify(stored, "secret")
    assert refused.value.status == 503 and refused.value.retry_after >= 1
    assert await asyncio.gather(*running) == [False, False]
    assert await pool.verify(stored, "secret") is True  # the line is free again


async def test_an_unknown_user_is_checked_against_a_dummy_and_refused() -> None:
    assert await PasswordPool().verify(None, "") is False


async def test_a_new_password_is_hashed_with_argon2() -> None:
    assert PasswordHasher().verify(await hash_new_password("s3cret-words"), "s3cret-words")
