"""Reading the audit trail (SPEC A3), for administrators only: filter, page, compare before with after.

The trail is written by server/services/audit.py and server/persistence/audit.py; nothing in the product
changes or deletes it (the model refuses, server/persistence/append_only.py).
"""
from __future__ import annotations

from typing import Any

from server.errors import Invalid
from server.persistence.audit_queries import AuditFilter, audit_actions, audit_page
from server.services.interaction_filters import query_moment
from server.services.auth import Principal
from server.services.paging import check_paging
from server.services.views import iso


def build_audit_filter(*, actor: str | None = None, action: str | None = None, target: str | None = None,
                       since: str | None = None, until: str | None = None, page: int = 1,
                       page_size: int = 50) -> AuditFilter:
    """Filters as a user gives them. `action`: exact (`interaction.close`), or a prefix when it ends with "."
    or "*" (`transfer.`, `transfer.*`, `user*`). `since`/`until`: ISO dates or date-times (UTC unless they
    say otherwise); a bare `until` date includes that whole day."""
    check_paging(page, page_size)
    action = (action or "").strip()
    prefix = action.endswith(("*", "."))
    action = action.rstrip("*")
    start, end = query_moment(since, "from"), query_moment(until, "to", end=True)
    if start and end and end <= start:
        raise Invalid("from must come before to.")
    return AuditFilter(actor=(actor or "").strip().lower() or None, action=action or None,
                       action_prefix=prefix, target=(target or "").strip()[:128] or None, since=start, until=end,
                       page=page, page_size=page_size)


def compare(before: Any, after: Any) -> list[dict[str, Any]]:
    """Before and after side by side, one line per key (a value that is not an object is the line "value"),
    each marked `changed` when the key was added, removed or given another value."""
    if before is not None and not isinstance(before, dict):
        before = {"value": before}
    if after is not None and not isinstance(after, dict):
        after = {"value": after}
    old, new = before or {}, after or {}
    keys = list(old) + [k for k in new if k not in old]
    return [{"key": key, "before": old.get(key), "after": new.get(key),
             "changed": key not in old or key not in new or old[key] != new[key]} for key in keys]


def entry_view(row: dict[str, Any]) -> dict[str, Any]:
    before, after = row["before"], row["after"]
    return {"id": row["id"], "at": iso(row["created_at"]), "actor": row["username"], "action": row["action"],
            "target": row["target"], "before": before, "after": after,
            "changed": [line["key"] for line in compare(before, after) if line["changed"]]}


class AuditTrailService:
    async def search(self, principal: Principal, *, actor: str | None = None, action: str | None = None,
                     target: str | None = None, since: str | None = None, until: str | None = None, page: int = 1,
                     page_size: int = 50) -> dict[str, Any]:
        """`{"items", "total", "page", "page_size"}`, newest first; the filters as `build_audit_filter` reads
        them (checked after the principal, so a refusal says nothing about them)."""
        principal.require_admin()
        f = build_audit_filter(actor=actor, action=action, target=target, since=since, until=until, page=page,
                               page_size=page_size)
        rows, total = await audit_page(f)
        return {"items": [entry_view(r) for r in rows], "total": total, "page": f.page, "page_size": f.page_size}

    async def actions(self, principal: Principal) -> list[str]:
        """The distinct actions in the trail (for a filter's choices)."""
        principal.require_admin()
        return await audit_actions()
