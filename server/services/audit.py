"""The audit trail (SPEC A3): one entry per configuration change or sensitive action, written in the
transaction of the change itself so that neither exists without the other."""
from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.models import AuditEntry
from server.services.auth import Principal


async def record(principal: Principal | None, action: str, target: str, before: Any = None, after: Any = None,
                 conn: BaseDBAsyncClient | None = None) -> None:
    """`principal` None: the system acted (a contact trigger, a timer)."""
    await AuditEntry.create(user_id=principal.id if principal else None,
                            username=principal.username if principal else "system", action=action,
                            target=target[:128], before=before, after=after, using_db=conn)
