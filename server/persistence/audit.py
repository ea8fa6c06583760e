"""Writing the audit trail (SPEC A3), inside the transaction of the change it records.

What counts as one record for the routing core's sensitive actions (the writer's operations call these):
- `interaction.close`: one per interaction, written only by the close that changed it from open to closed
  (a second close of a closed interaction writes nothing). Before and after: status, owner, disposition.
- `transfer.request`: one per transfer an owner starts. Before: owner, queue; after: target, targets offered.
- one outcome per transfer, written only by the change that ends the pending transfer (so a late accept, a
  stale timer or a retry writes nothing): `transfer.accepted` (by the new owner), `transfer.declined` (by the
  last target to decline), `transfer.timed_out` and `transfer.failed` (nobody could be offered it; both by
  "system"), `transfer.cancelled` (the owner closed the interaction meanwhile). A target declining while
  others still hold the offer is routing history (SPEC R12), not an outcome.
"""
from __future__ import annotations

from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.models import AuditEntry, Interaction, Transfer, User

SYSTEM = "system"  # the actor of what no user did (a transfer nobody accepted in time)


async def write_audit(conn: BaseDBAsyncClient | None, user_id: int | None, username: str, action: str, target: str,
                      before: Any, after: Any) -> None:
    """`conn`: the transaction's connection (the writer's), or None inside `in_transaction()`."""
    await AuditEntry.create(user_id=user_id, username=username, action=action, target=target[:128], before=before,
                            after=after, using_db=conn)


async def _write_as(conn: BaseDBAsyncClient, username: str | None, action: str, interaction_id: int, before: Any,
                    after: Any) -> None:
    user_id = None
    if username:
        user_id = cast(int | None, await User.filter(username=username).using_db(conn).first().values_list(
            "id", flat=True))
    await write_audit(conn, user_id, username or SYSTEM, action, f"interaction {interaction_id}", before, after)


def _label(row: dict[str, Any]) -> str:
    return f"queue {row['to_queue__name']}" if row["to_queue__name"] else f"agent {row['to_agent__username']}"


async def audit_close(conn: BaseDBAsyncClient, interaction_id: int, by: str, before: dict[str, Any],
                      disposition: str | None) -> None:
    """The close that changed the interaction to closed; `before` holds its owner and disposition then. A
    transfer still pending (about to be cancelled in the same transaction) ends with `transfer.cancelled`."""
    pending = await Transfer.filter(interaction_id=interaction_id, status="pending").using_db(conn).values(
        "from_agent__username", "to_agent__username", "to_queue__name")
    for row in pending:
        await _write_as(conn, by, "transfer.cancelled", interaction_id,
                        {"owner": row["from_agent__username"], "target": _label(row)},
                        {"owner": row["from_agent__username"], "outcome": "cancelled",
                         "reason": "the interaction was closed"})
    await _write_as(conn, by, "interaction.close", interaction_id,
                    {"status": "open", "owner": before.get("owner__username"),
                     "disposition": before.get("disposition__name")},
                    {"status": "closed", "owner": before.get("owner__username"),
                     "disposition": disposition or before.get("disposition__name")})


async def audit_transfer_requested(conn: BaseDBAsyncClient, interaction_id: int, by: str, target: str,
                                   targets: list[str]) -> None:
    row = await Interaction.filter(id=interaction_id).using_db(conn).first().values("owner__username",
                                                                                    "queue__name")
    row = row or {}
    await _write_as(conn, by, "transfer.request", interaction_id,
                    {"owner": row.get("owner__username"), "queue": row.get("queue__name")},
                    {"target": target, "targets": list(targets)})


async def audit_transfer_ended(conn: BaseDBAsyncClient, interaction_id: int, generation: int, outcome: str,
                               by: str | None, reason: str | None) -> None:
    """Call only after the change that ended the pending transfer (its conditional update changed a row).
    `outcome`: accepted | declined | timed_out | failed | cancelled (the interaction went back to its queue);
    `by`: the accepting or last declining agent."""
    row = await Transfer.filter(interaction_id=interaction_id, generation=generation).using_db(conn).order_by(
        "-id").first().values("from_agent__username", "to_agent__username", "to_queue__name")
    if row is None:
        return
    owner = row["from_agent__username"]
    await _write_as(conn, by, f"transfer.{outcome}", interaction_id, {"owner": owner, "target": _label(row)},
                    {"owner": by if outcome == "accepted" else None if outcome == "cancelled" else owner,
                     "outcome": outcome, "reason": reason})
