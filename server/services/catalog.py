"""What agents pick from: templates to send, dispositions to close with."""
from __future__ import annotations

from typing import Any


from server.persistence.models import Disposition, Template


class CatalogService:
    async def agent_templates(self) -> list[dict[str, Any]]:
        return list(await Template.filter(available_for_agents=True).order_by("name").values(
            "id", "name", "language", "body"))

    async def dispositions(self) -> list[str]:
        return list(await Disposition.all().order_by("name").values_list("name", flat=True))
