"""Login, bearer tokens and the signed-in principal. Tokens are stored hashed; passwords with argon2, checked on
the password pool (server/services/passwords.py); sign-in attempts are throttled per user and per address."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher

from server.errors import Forbidden, Unauthorized
from server.persistence.keys import storable
from server.persistence.models import AuthSession, User
from server.services.login_throttle import LoginThrottle
from server.services.passwords import PASSWORDS, PasswordPool

_hasher = PasswordHasher()
ROLES = ("admin", "supervisor", "agent")


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


def hash_password(password: str) -> str:
    """On the caller's thread: for seeding and scripts. The server uses `passwords.hash_new_password`."""
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(self, passwords: PasswordPool = PASSWORDS, throttle: LoginThrottle | None = None) -> None:
        self._cache: dict[str, Principal] = {}
        self._passwords = passwords
        self._throttle = throttle or LoginThrottle()

    async def login(self, username: str, password: str, address: str | None = None) -> tuple[str, Principal]:
        """A new session for the user. `address`: the client's, throttled as well as the username.

        Throttled (429) after too many failed attempts, Busy (503) when too many sign-ins are waiting.
        Every attempt checks a password, an unknown or disabled user's too, so that none answers sooner."""
        name = (username or "").strip().lower()
        attempt = self._throttle.begin(name, address)
        user = await User.get_or_none(username=name) if storable(User, "username", name) else None
        matches = await self._passwords.verify(user.password_hash if user is not None else None, password or "")
        if user is None or user.disabled or not matches:
            raise Unauthorized("Wrong username or password.", code="bad_credentials")
        self._throttle.succeeded(attempt)
        token = secrets.token_urlsafe(32)
        await AuthSession.create(token_hash=_token_hash(token), user=user)
        principal = Principal(user.id, user.username, user.role, user.full_name)
        self._cache[_token_hash(token)] = principal
        return token, principal

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
        key = _token_hash(token)
        principal = self._cache.get(key)
        if principal is not None:
            return principal
        session = await AuthSession.get_or_none(token_hash=key).prefetch_related("user")
        if session is None or session.user.disabled:
            raise Unauthorized("Your session has ended; sign in again.", code="session_ended")
        user = session.user
        principal = Principal(user.id, user.username, user.role, user.full_name)
        self._cache[key] = principal
        return principal

    async def forget_user(self, user_id: int, *, end_sessions: bool) -> None:
        """After an admin changed the user: cached principals go (the next request reads the user afresh);
        `end_sessions` signs them out everywhere."""
        for key in [k for k, p in self._cache.items() if p.id == user_id]:
            del self._cache[key]
        if end_sessions:
            await AuthSession.filter(user_id=user_id).delete()

    async def logout(self, token: str) -> None:
        key = _token_hash(token)
        self._cache.pop(key, None)
        await AuthSession.filter(token_hash=key).delete()
