"""What users pick from: templates to send, dispositions to close with, what to filter lists by."""
from __future__ import annotations

from typing import Any, cast

from server.persistence.models import Account, Disposition, Tag, Template, User


class CatalogService:
    async def agent_templates(self) -> list[dict[str, Any]]:
        return list(await Template.filter(available_for_agents=True).order_by("name").values(
            "id", "name", "language", "body"))

    async def tags(self) -> list[dict[str, Any]]:
        """Every tag with its color (SPEC C3)."""
        return list(await Tag.all().order_by("name").values("id", "name", "color"))

    async def dispositions(self) -> list[str]:
        return list(cast(list[str], await Disposition.all().order_by("name").values_list("name", flat=True)))

    async def filter_choices(self) -> dict[str, list[str]]:
        """What the interactions list can be filtered by: accounts, agents, tags."""
        return {"accounts": list(cast(list[str], await Account.all().order_by("key").values_list("key", flat=True))),
                "agents": list(cast(list[str], await User.filter(role="agent").order_by("username").values_list(
                    "username", flat=True))),
                "tags": list(cast(list[str], await Tag.all().order_by("name").values_list("name", flat=True)))}
