"""Reading the audit trail (SPEC A3): a filtered page, newest first, and the actions it holds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from tortoise.queryset import QuerySet

from server.persistence.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """Checked values (services/audit_trail.py builds them from what a user typed)."""

    actor: str | None = None  # username, exact
    action: str | None = None  # exact, or a prefix when `action_prefix`
    action_prefix: bool = False
    target: str | None = None  # substring, any case
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    page: int = 1
    page_size: int = 50


def _matching(f: AuditFilter) -> QuerySet[AuditEntry]:
    query = AuditEntry.all()
    if f.actor:
        query = query.filter(username=f.actor)
    if f.action:
        query = query.filter(action__startswith=f.action) if f.action_prefix else query.filter(action=f.action)
    if f.target:
        query = query.filter(target__icontains=f.target)
    if f.since:
        query = query.filter(created_at__gte=f.since)
    if f.until:
        query = query.filter(created_at__lt=f.until)
    return query


async def audit_page(f: AuditFilter) -> tuple[list[dict[str, Any]], int]:
    """The page's rows (newest first: ids grow with time) and how many match in all."""
    query = _matching(f)
    total = await query.count()
    rows = await query.order_by("-id").offset((f.page - 1) * f.page_size).limit(f.page_size).values(
        "id", "created_at", "username", "action", "target", "before", "after")
    return rows, total


async def audit_actions() -> list[str]:
    """Every action the trail holds, sorted."""
    return sorted(cast(list[str], await AuditEntry.all().distinct().values_list("action", flat=True)))
