"""Workspace settings (SPEC A2): defaults, validation, and a cache read by the other services."""
from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import phonenumbers

from tortoise.transactions import in_transaction

from server.errors import Invalid
from server.persistence.models import Setting

MAX_ATTACHMENT_MB = 25  # the most an admin may allow (WhatsApp's own limits are lower for most kinds)

DEFAULTS: dict[str, Any] = {
    "transfer": {"enabled": True, "to": "both"},
    "agent_timeout": 300,
    "attachments": {"enabled": True, "max_mb": 15},
    "masking": {"phone": "none", "email": "none", "name": "none"},
    "max_tabs": 20,
    "default_region": "",  # ISO 3166 code that phone numbers typed without a country code belong to
    "simulator": {"enabled": False},  # the customer simulator, a testing tool (on in the demo workspace)
    # A sign-in ends after this long without use (a lunch break is fine), and in any case after a long shift.
    "sessions": {"idle_minutes": 120, "max_hours": 12},
    # An agent whose last desk page went (closed, or the browser lost) goes offline after this long.
    "presence": {"grace_seconds": 30},
}


TEXT = "text"  # the key a text setting is stored under


def validate_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Check a partial update; returns it normalized, or raises Invalid naming the bad field."""
    if not isinstance(changes, dict) or not changes:
        raise Invalid("Send at least one setting to change.")
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise Invalid(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    if "transfer" in changes:
        value = _object(changes, "transfer", {"enabled", "to"})
        if "enabled" in value and not isinstance(value["enabled"], bool):
            raise Invalid("transfer.enabled must be true or false.")
        if "to" in value and value["to"] not in ("agents", "queues", "both"):
            raise Invalid("transfer.to must be agents, queues or both.")
        out["transfer"] = value
    if "agent_timeout" in changes:
        out["agent_timeout"] = _int(changes["agent_timeout"], "agent_timeout", 5, 3600)
    if "attachments" in changes:
        value = _object(changes, "attachments", {"enabled", "max_mb"})
        if "enabled" in value and not isinstance(value["enabled"], bool):
            raise Invalid("attachments.enabled must be true or false.")
        if "max_mb" in value:
            value["max_mb"] = _int(value["max_mb"], "attachments.max_mb", 1, MAX_ATTACHMENT_MB)
        out["attachments"] = value
    if "masking" in changes:
        value = _object(changes, "masking", {"phone", "email", "name"})
        for key, mode in value.items():
            if mode not in ("none", "partial", "full"):
                raise Invalid(f"masking.{key} must be none, partial or full.")
        out["masking"] = value
    if "max_tabs" in changes:
        out["max_tabs"] = _int(changes["max_tabs"], "max_tabs", 1, 100)
    if "simulator" in changes:
        value = _object(changes, "simulator", {"enabled"})
        if "enabled" in value and not isinstance(value["enabled"], bool):
            raise Invalid("simulator.enabled must be true or false.")
        out["simulator"] = value
    if "sessions" in changes:
        value = _object(changes, "sessions", {"idle_minutes", "max_hours"})
        if "idle_minutes" in value:
            value["idle_minutes"] = _int(value["idle_minutes"], "sessions.idle_minutes", 5, 24 * 60)
        if "max_hours" in value:
            value["max_hours"] = _int(value["max_hours"], "sessions.max_hours", 1, 30 * 24)
        out["sessions"] = value
    if "presence" in changes:
        value = _object(changes, "presence", {"grace_seconds"})
        if "grace_seconds" in value:
            value["grace_seconds"] = _int(value["grace_seconds"], "presence.grace_seconds", 5, 600)
        out["presence"] = value
    if "default_region" in changes:
        region = changes["default_region"]
        if not isinstance(region, str) or (region and region.upper() not in phonenumbers.SUPPORTED_REGIONS):
            raise Invalid("default_region must be a two-letter country code such as IT or US, or empty for none.")
        out["default_region"] = region.upper()
    return out


def _object(changes: dict[str, Any], key: str, allowed: set[str]) -> dict[str, Any]:
    value = changes[key]
    if not isinstance(value, dict):
        raise Invalid(f"{key} must be an object.")
    extra = set(value) - allowed
    if extra:
        raise Invalid(f"Unknown field(s) in {key}: {', '.join(sorted(extra))}.")
    return dict(value)


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}.")
    return value


class SettingsService:
    def __init__(self) -> None:
        self._values: dict[str, Any] = copy.deepcopy(DEFAULTS)

    async def load(self) -> None:
        for row in await Setting.all():
            if row.key in self._values:
                value = row.value[TEXT] if isinstance(DEFAULTS[row.key], str) else row.value
                self._values[row.key] = _merge(self._values[row.key], value)

    def get(self, key: str) -> Any:
        return copy.deepcopy(self._values[key])

    @property
    def default_region(self) -> str | None:
        return self._values["default_region"] or None

    def all(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    async def update(self, changes: dict[str, Any],
                     also: Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]] | None = None) -> dict[str, Any]:
        """Store a checked change; `also(before, after)` (the audit entry) is written in the same transaction.
        Live actors and services read the new values from here once it is committed."""
        valid = validate_settings(changes)
        merged = {key: _merge(self._values[key], value) for key, value in valid.items()}
        async with in_transaction():
            for key, value in merged.items():
                # The JSON field reads a str as JSON text, so a text setting is stored inside an object.
                stored = {TEXT: value} if isinstance(value, str) else value
                await Setting.update_or_create(defaults={"value": stored}, key=key)
            if also is not None:
                await also({key: copy.deepcopy(self._values[key]) for key in merged}, copy.deepcopy(merged))
        self._values.update(merged)
        return self.all()


def _merge(current: Any, change: Any) -> Any:
    if isinstance(current, dict) and isinstance(change, dict):
        return {**current, **change}
    return change
