"""Administration that the routing core needs now: users and workspace settings (SPEC A1, A2)."""
from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.actors.hub import EventHub
from server.actors.system import ActorSystem
from server.domain.events import AccountChanged
from server.errors import Conflict, Forbidden, Invalid
from server.persistence.models import User
from server.persistence.routing_state import load_agent_rows, open_interactions_of
from server.services.audit import record
from server.services.auth import RANK, ROLES, AuthService, Principal
from server.services.passwords import hash_new_password
from server.services.board import BoardService
from server.services.contact_admin import named
from server.services.settings import SettingsService

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
MAX_CAPACITY = 100


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "full_name": user.full_name,
            "capacity": user.capacity, "disabled": user.disabled}


def checked_capacity(value: Any) -> int | None:
    """An agent's own capacity: max open interactions, or None for their queues' setting."""
    if value is not None and (type(value) is not int or not 1 <= value <= MAX_CAPACITY):
        raise Invalid(f"capacity: a whole number from 1 to {MAX_CAPACITY}, or null for the queues' setting.")
    return value


class AdminService:
    def __init__(self, settings: SettingsService, auth: AuthService, system: ActorSystem, board: BoardService,
                 hub: EventHub) -> None:
        self.settings = settings
        self.auth = auth
        self.system = system
        self.board = board
        self.hub = hub

    async def create_user(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        principal.require_admin()
        username = str(body.get("username") or "").strip().lower()
        password = body.get("password")
        role = body.get("role") or "agent"
        full_name = str(body.get("full_name") or "").strip()
        capacity = checked_capacity(body.get("capacity"))
        if not USERNAME.match(username):
            raise Invalid("username: 2-64 characters, lowercase letters, digits, '.', '_' or '-'.")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise Invalid(f"password: at least {MIN_PASSWORD} characters.")
        if role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}.")
        if len(full_name) > 128:
            raise Invalid("full_name is limited to 128 characters.")
        password_hash = await hash_new_password(password)
        try:
            async with in_transaction():
                user = await User.create(username=username, password_hash=password_hash, role=role,
                                         full_name=full_name, capacity=capacity)
                await record(principal, "user.create", f"user {username}", None, user_view(user))
        except IntegrityError:
            raise Conflict(f"The username {username!r} is taken.", code="exists") from None
        return user_view(user)

    async def update_user(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """Role, full name, capacity (max open interactions; null: the queues' setting), disabled (which
        signs the user out and puts their desk offline), or a new password (which signs the user out).
        A lower role signs the user out too; nobody changes their own role or state."""
        principal.require_admin()
        if not isinstance(body, dict) or not body or set(body) - {"role", "full_name", "capacity", "disabled",
                                                                   "password"}:
            raise Invalid("Send any of role, full_name, capacity, disabled, password.")
        user = await named(User, key, "user", "username")
        before = user_view(user)
        changes: dict[str, Any] = {}
        if "role" in body:
            if body["role"] not in ROLES:
                raise Invalid(f"role must be one of {', '.join(ROLES)}.")
            if user.id == principal.id and body["role"] != user.role:
                raise Forbidden("You cannot change your own role: another administrator can.")
            changes["role"] = body["role"]
        if "full_name" in body:
            if not isinstance(body["full_name"], str) or len(body["full_name"].strip()) > 128:
                raise Invalid("full_name is limited to 128 characters.")
            changes["full_name"] = body["full_name"].strip()
        if "capacity" in body:
            changes["capacity"] = checked_capacity(body["capacity"])
        if "disabled" in body:
            if not isinstance(body["disabled"], bool):
                raise Invalid("disabled must be true or false.")
            if user.id == principal.id:
                raise Forbidden("You cannot enable or disable your own account: another administrator can.")
            changes["disabled"] = body["disabled"]
        if "password" in body:
            if not isinstance(body["password"], str) or len(body["password"]) < MIN_PASSWORD:
                raise Invalid(f"password: at least {MIN_PASSWORD} characters.")
            changes["password_hash"] = await hash_new_password(body["password"])
        async with in_transaction():
            await User.filter(id=user.id).update(**changes)
            user = await User.get(id=user.id)
            after = user_view(user)
            await record(principal, "user.update", f"user {user.username}", before,
                         {**after, **({"password": "changed"} if "password" in body else {})})
        demoted = RANK[after["role"]] < RANK[before["role"]]
        signed_out = user.disabled or demoted or "password" in body
        await self.auth.forget_user(user.id, end_sessions=signed_out)
        if signed_out or after["role"] != before["role"]:
            self.hub.publish(AccountChanged(user.id, signed_out=signed_out))
        if after["full_name"] != before["full_name"]:
            self.board.renamed(user.username)
        if user.disabled and not before["disabled"]:
            self.system.user_disabled(user.username, await open_interactions_of(user.username))
        elif not user.disabled and ("capacity" in body or before["disabled"]):  # a capacity set meanwhile too
            self.system.user_enabled(user.username)
            [row] = await load_agent_rows([user.username])
            self.system.capacity_changed(row)
        return after

    async def list_users(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [user_view(u) for u in await User.all().order_by("username")]

    async def update_settings(self, principal: Principal, changes: dict[str, Any]) -> dict[str, Any]:
        principal.require_admin()
        async def audit(before: dict[str, Any], after: dict[str, Any]) -> None:
            await record(principal, "settings.update", "settings", before, after)

        return await self.settings.update(changes, audit)

    def read_settings(self, principal: Principal) -> dict[str, Any]:
        principal.require_admin()
        return self.settings.all()
