"""Password hashing and checking (argon2) on a small thread pool of their own, with a bounded line of waiting
calls: a flood of sign-ins costs at most that pool's threads, never the threads every other piece of work
shares (asyncio.to_thread's default pool: transcripts, files), and past the line it is refused at once."""
from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import Busy

T = TypeVar("T")
_hasher = PasswordHasher()


class PasswordPool:
    """`workers` threads hash and verify; at most `waiting` more calls wait for one, others are refused (Busy)."""

    def __init__(self, workers: int = 2, waiting: int = 16) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="passwords")
        self._capacity = workers + waiting
        self._taken = 0  # calls running or waiting; only touched on the event loop's thread
        # What an unknown user's password is checked against, so that it costs what a known user's does.
        self._dummy = self._executor.submit(_hasher.hash, secrets.token_urlsafe(16))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with no hash (an unknown user) a dummy is checked, and the answer is no."""
        if password_hash is None:
            await self._run(lambda: _matches(self._dummy.result(), password))  # as long as a real check
            return False
        return await self._run(lambda: _matches(password_hash, password))

    async def hash(self, password: str) -> str:
        return await self._run(lambda: _hasher.hash(password))

    async def _run(self, job: Callable[[], T]) -> T:
        if self._taken >= self._capacity:
            raise Busy("Too many sign-ins at once; try again in a moment.", retry_after=1)
        self._taken += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        finally:
            self._taken -= 1


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


PASSWORDS = PasswordPool()


def hash_password(password: str) -> str:
    """On the caller's thread: for seeding and scripts. The server uses `hash_new_password`."""
    return _hasher.hash(password)


async def hash_new_password(password: str) -> str:
    """An argon2 hash of a new password, made on the password pool (for admins creating or changing users)."""
    return await PASSWORDS.hash(password)
