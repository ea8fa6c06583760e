"""The one bridge between the event loop and actors.

A request carries a `Reply`; the actor (on a pool thread) resolves it, and the result crosses into
the loop with `call_soon_threadsafe`. The loop never blocks on an actor (pykka's `await future`
would: its `__await__` calls the blocking `get()`).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pykka

from server.errors import Unavailable

T = TypeVar("T")

ASK_TIMEOUT = 10.0


class Reply:
    """Resolves a future on the event loop from any thread, at most once."""

    __slots__ = ("_loop", "_future", "_done")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self._loop, self._future, self._done = loop, future, False

    def ok(self, value: Any = None) -> None:
        if not self._done:
            self._done = True
            self._loop.call_soon_threadsafe(_settle, self._future, value, None)

    def fail(self, error: BaseException) -> None:
        if not self._done:
            self._done = True
            self._loop.call_soon_threadsafe(_settle, self._future, None, error)


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class NoReply:
    """For requests nobody waits on (an offer declined by a desk on its own)."""

    def ok(self, value: Any = None) -> None:
        pass

    def fail(self, error: BaseException) -> None:
        pass


async def ask(ref: pykka.ActorRef[Any] | None, build: Callable[[Reply], Any], timeout: float = ASK_TIMEOUT) -> Any:
    """Send `build(reply)` to the actor and wait, without blocking the loop, for its answer."""
    if ref is None:
        raise Unavailable("That part of the system is not running.")
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    try:
        ref.tell(build(Reply(loop, future)))
    except pykka.ActorDeadError:
        raise Unavailable("That part of the system has stopped; try again.") from None
    try:
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise Unavailable("The server is busy; try again.") from None
