"""Writing the audit trail (SPEC A3), inside the transaction of the change it records."""
from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.models import AuditEntry


async def write_audit(conn: BaseDBAsyncClient | None, user_id: int | None, username: str, action: str, target: str,
                      before: Any, after: Any) -> None:
    """`conn`: the transaction's connection (the writer's), or None inside `in_transaction()`."""
    await AuditEntry.create(user_id=user_id, username=username, action=action, target=target[:128], before=before,
                            after=after, using_db=conn)
