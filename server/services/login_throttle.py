"""How many sign-in attempts a username and a client address may make: a sliding window of attempts that
did not succeed. Kept in memory, per server process."""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import Throttled

WINDOW = 15 * 60  # seconds
PER_USER = 10  # a person mistyping does not get there; guessing stops there
PER_ADDRESS = 100  # an office's agents share one address behind its router
MAX_KEYS = 50_000  # memory bound against floods of made-up usernames or addresses
KEY_LENGTH = 100  # longer than any username or address; what is past it is not kept


@dataclass(frozen=True)
class Attempt:
    """One attempt under way, counted as failed until `LoginThrottle.succeeded` says otherwise."""

    user: str
    address: str | None
    at: float


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._users: dict[str, deque[float]] = {}
        self._addresses: dict[str, deque[float]] = {}

    def begin(self, user: str, address: str | None) -> Attempt:
        """Count an attempt for `user` from `address` (None: not known), or raise Throttled when either has
        used up its window. Counted before the password is checked, so that a burst of parallel attempts
        is counted too."""
        now = self._clock()
        user, address = user[:KEY_LENGTH], address[:KEY_LENGTH] if address is not None else None
        waits = [_wait(self._users, user, PER_USER, now)]
        if address is not None:
            waits.append(_wait(self._addresses, address, PER_ADDRESS, now))
        wait = max(waits)
        if wait > 0:
            minutes = math.ceil(wait / 60)
            raise Throttled(f"Too many sign-in attempts. Try again in {minutes} minute{'s' * (minutes != 1)}.",
                            retry_after=math.ceil(wait))
        _record(self._users, user, PER_USER, now)
        if address is not None:
            _record(self._addresses, address, PER_ADDRESS, now)
        return Attempt(user, address, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the user starts afresh, and the address is not charged for it."""
        self._users.pop(attempt.user, None)
        _forget(self._addresses, attempt.address, attempt.at)

    def withdrawn(self, attempt: Attempt) -> None:
        """The attempt was refused before its password was checked (the server was busy): it counts for
        nobody."""
        _forget(self._users, attempt.user, attempt.at)
        _forget(self._addresses, attempt.address, attempt.at)


def _forget(windows: dict[str, deque[float]], key: str | None, at: float) -> None:
    stamps = windows.get(key) if key is not None else None
    if stamps is not None and at in stamps:
        stamps.remove(at)


def _wait(windows: dict[str, deque[float]], key: str, limit: int, now: float) -> float:
    """Seconds until `key` may try again (0: now)."""
    stamps = windows.get(key)
    if stamps is None:
        return 0.0
    while stamps and stamps[0] <= now - WINDOW:
        stamps.popleft()
    return stamps[0] + WINDOW - now if len(stamps) >= limit else 0.0


def _record(windows: dict[str, deque[float]], key: str, limit: int, now: float) -> None:
    """Add an attempt; the dict is kept in order of last attempt, so that memory is bounded by forgetting
    the keys left alone longest, and not one held at its limit while others are not (a flood of made-up
    names must not free the name under attack)."""
    stamps = windows.pop(key, None)
    if stamps is None and len(windows) >= MAX_KEYS:
        for stale in [k for k, kept in windows.items() if not kept or kept[-1] <= now - WINDOW]:
            del windows[stale]
        if len(windows) >= MAX_KEYS:  # all recent: forget the longest quiet ones rather than grow
            quiet = [k for k, kept in windows.items() if len(kept) < limit][:MAX_KEYS // 10]
            for old in quiet or list(windows)[:MAX_KEYS // 10]:  # all held: still bounded
                del windows[old]
    windows[key] = stamps if stamps is not None else deque()
    windows[key].append(now)
