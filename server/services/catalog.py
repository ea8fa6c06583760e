"""What agents pick from while they write: canned answers, templates, dispositions."""
from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from server.persistence.models import CannedAnswer, Disposition, Template


class CatalogService:
    async def canned_answers(self, search: str = "") -> list[dict[str, Any]]:
        query = CannedAnswer.all()
        if search.strip():
            query = query.filter(Q(name__icontains=search.strip()) | Q(body__icontains=search.strip()))
        return list(await query.order_by("name").limit(50).values("id", "name", "body"))

    async def agent_templates(self) -> list[dict[str, Any]]:
        return list(await Template.filter(available_for_agents=True).order_by("name").values(
            "id", "name", "language", "body"))

    async def dispositions(self) -> list[str]:
        return list(await Disposition.all().order_by("name").values_list("name", flat=True))
