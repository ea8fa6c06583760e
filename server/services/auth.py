"""Login, bearer tokens and the signed-in principal. Tokens are stored hashed; passwords with argon2, checked on
the password pool (server/services/passwords.py); sign-in attempts are throttled per user and per address."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.expressions import Q

from server.errors import Busy, Forbidden, Unauthorized
from server.persistence.keys import storable
from server.persistence.models import AuthSession, User
from server.services.login_throttle import LoginThrottle
from server.services.passwords import PASSWORDS, PasswordPool
from server.services.settings import SettingsService

ROLES = ("admin", "supervisor", "agent")
RANK = {"agent": 0, "supervisor": 1, "admin": 2}  # what a role may do grows with its rank


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    full_name: str

    @property
    def sees_everything(self) -> bool:
        """Supervisors and admins may read every interaction."""
        return self.role in ("admin", "supervisor")

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("Only administrators may do this.")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


REFRESH = timedelta(minutes=1)  # a session's last use is stored at most this often
SESSION_ENDED = "Your session has ended; sign in again."


@dataclass
class _Session:
    """A session as this process knows it: `used` is its last use here, `stored` the last use written."""

    principal: Principal
    created_at: datetime
    used: datetime
    stored: datetime

    def expired(self, now: datetime, limits: dict[str, Any]) -> bool:
        """Past its lifetime, or idle for too long (workspace setting `sessions`)."""
        return (now - self.created_at > timedelta(hours=limits["max_hours"])
                or now - self.used > timedelta(minutes=limits["idle_minutes"]))


class AuthService:
    def __init__(self, settings: SettingsService, passwords: PasswordPool = PASSWORDS,
                 throttle: LoginThrottle | None = None, clock: Callable[[], datetime] = _utcnow) -> None:
        self._cache: dict[str, _Session] = {}
        self._settings = settings
        self._passwords = passwords
        self._throttle = throttle or LoginThrottle()
        self._clock = clock

    async def login(self, username: str, password: str, address: str | None = None) -> tuple[str, Principal]:
        """A new session for the user. `address`: the client's, throttled as well as the username.

        Throttled (429) after too many failed attempts, Busy (503) when too many sign-ins are waiting.
        Every attempt checks a password, an unknown or disabled user's too, so that none answers sooner."""
        name = (username or "").strip().lower()
        attempt = self._throttle.begin(name, address)
        user = await User.get_or_none(username=name) if storable(User, "username", name) else None
        try:
            matches = await self._passwords.verify(user.password_hash if user is not None else None,
                                                   password or "")
        except Busy:
            self._throttle.withdrawn(attempt)  # refused unchecked: no one's failure
            raise
        if user is None or user.disabled or not matches:
            raise Unauthorized("Wrong username or password.", code="bad_credentials")
        self._throttle.succeeded(attempt)
        now = self._clock()
        await self._delete_expired(now)
        token = secrets.token_urlsafe(32)
        await AuthSession.create(token_hash=_token_hash(token), user=user, created_at=now, last_used_at=now)
        principal = Principal(user.id, user.username, user.role, user.full_name)
        self._cache[_token_hash(token)] = _Session(principal, now, now, now)
        return token, principal

    async def authenticate(self, token: str | None, *, touch: bool = True) -> Principal:
        """The session's user; Unauthorized `session_ended` once it is gone, idle too long or past its lifetime
        (and then its row is deleted). A use (`touch`: a request or a person's action, not a page's own
        background work) counts against the idle timeout, and is stored at most once per REFRESH."""
        if not token:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
        key = _token_hash(token)
        now, limits = self._clock(), self._settings.get("sessions")
        session = self._cache.get(key)
        if session is None or session.expired(now, limits):  # expired here: another node may have seen it used
            session = await self._load(key, now, limits)
        if not touch:
            return session.principal
        if now - session.stored >= REFRESH:
            if not await AuthSession.filter(token_hash=key).update(last_used_at=now):  # signed out meanwhile
                self._cache.pop(key, None)
                raise Unauthorized(SESSION_ENDED, code="session_ended")
            session.stored = now
        session.used = now
        return session.principal

    async def _load(self, key: str, now: datetime, limits: dict[str, Any]) -> _Session:
        self._cache.pop(key, None)
        row = await AuthSession.get_or_none(token_hash=key).prefetch_related("user")
        if row is None or row.user.disabled:
            raise Unauthorized(SESSION_ENDED, code="session_ended")
        user, used = row.user, row.last_used_at or row.created_at
        session = _Session(Principal(user.id, user.username, user.role, user.full_name), row.created_at, used, used)
        if session.expired(now, limits):
            await AuthSession.filter(id=row.id).delete()
            raise Unauthorized(SESSION_ENDED, code="session_ended")
        self._cache[key] = session
        return session

    async def _delete_expired(self, now: datetime) -> None:
        """Sessions past their limits leave the database and this process's memory (those not used again
        would stay there otherwise)."""
        limits = self._settings.get("sessions")
        for key in [key for key, session in self._cache.items() if session.expired(now, limits)]:
            del self._cache[key]
        idle_since = now - timedelta(minutes=limits["idle_minutes"])
        await AuthSession.filter(Q(created_at__lt=now - timedelta(hours=limits["max_hours"]))
                                 | Q(last_used_at__lt=idle_since)
                                 | Q(last_used_at__isnull=True, created_at__lt=idle_since)).delete()

    async def forget_user(self, user_id: int, *, end_sessions: bool) -> None:
        """After an admin changed the user: cached principals go (the next request reads the user afresh);
        `end_sessions` signs them out everywhere."""
        for key in [k for k, s in self._cache.items() if s.principal.id == user_id]:
            del self._cache[key]
        if end_sessions:
            await AuthSession.filter(user_id=user_id).delete()

    async def logout(self, token: str) -> None:
        key = _token_hash(token)
        self._cache.pop(key, None)
        await AuthSession.filter(token_hash=key).delete()
