"""Administration that the routing core needs now: users and workspace settings (SPEC A1, A2)."""
from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError

from server.errors import Conflict, Invalid
from server.persistence.models import User
from server.services.auth import ROLES, Principal, hash_password
from server.services.settings import SettingsService

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "full_name": user.full_name,
            "capacity": user.capacity, "disabled": user.disabled}


class AdminService:
    def __init__(self, settings: SettingsService) -> None:
        self.settings = settings

    async def create_user(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        principal.require_admin()
        username = str(body.get("username") or "").strip().lower()
        password = body.get("password")
        role = body.get("role") or "agent"
        full_name = str(body.get("full_name") or "").strip()
        if not USERNAME.match(username):
            raise Invalid("username: 2-64 characters, lowercase letters, digits, '.', '_' or '-'.")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise Invalid(f"password: at least {MIN_PASSWORD} characters.")
        if role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}.")
        if len(full_name) > 128:
            raise Invalid("full_name is limited to 128 characters.")
        try:
            user = await User.create(username=username, password_hash=hash_password(password), role=role,
                                     full_name=full_name)
        except IntegrityError:
            raise Conflict(f"The username {username!r} is taken.", code="exists") from None
        return user_view(user)

    async def list_users(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [user_view(u) for u in await User.all().order_by("username")]

    async def update_settings(self, principal: Principal, changes: dict[str, Any]) -> dict[str, Any]:
        principal.require_admin()
        return await self.settings.update(changes)

    def read_settings(self, principal: Principal) -> dict[str, Any]:
        principal.require_admin()
        return self.settings.all()
