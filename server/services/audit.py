"""The audit trail (SPEC A3): one entry per configuration change or sensitive action, written in the
transaction of the change itself (call it inside `in_transaction()`), so that neither exists without the other."""
from __future__ import annotations

from typing import Any

from server.persistence.audit import write_audit
from server.services.auth import Principal


async def record(principal: Principal, action: str, target: str, before: Any = None, after: Any = None) -> None:
    await write_audit(None, principal.id, principal.username, action, target, before, after)
