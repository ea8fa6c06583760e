"""Administration of what agents pick from (SPEC A1): dispositions to close with and canned answers to send.

Admins only; every change is audited in its transaction. Pages and endpoints read these lists afresh on
every use (CatalogService, queries.canned_answers), so a change applies at once.
"""
from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.domain.canned import PLACEHOLDER, placeholder_values
from server.errors import Conflict, Invalid
from server.persistence.models import CannedAnswer, Disposition, Interaction
from server.services.audit import record
from server.services.auth import Principal
from server.services.contact_admin import named

MAX_BODY = 4096  # WhatsApp's limit for a text message
BRACED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN = [name for name in placeholder_values("", "", "") if PLACEHOLDER.fullmatch("{" + name + "}")]


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object.")
    return body


def _name(value: Any, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise Invalid(f"name: 1-{limit} characters.")
    if text.isdigit():
        raise Invalid("name cannot be only digits (names and ids are interchangeable).")
    return text


def checked_body(value: Any) -> str:
    """A canned answer's text: 1-4096 characters, placeholders only of those filled when sending."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_BODY:
        raise Invalid(f"body: 1-{MAX_BODY} characters.")
    unknown = sorted({m for m in BRACED.findall(text) if not PLACEHOLDER.fullmatch("{" + m + "}")})
    if unknown:
        raise Invalid(f"Unknown placeholder(s): {', '.join('{' + u + '}' for u in unknown)}; "
                      f"use {', '.join('{' + k + '}' for k in KNOWN)}.")
    return text


def disposition_view(row: Disposition) -> dict[str, Any]:
    return {"id": row.id, "name": row.name}


def canned_view(row: CannedAnswer) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "body": row.body}


async def _unique(what: str, name: str, create: Any) -> Any:
    """Run a create or rename; a name taken meanwhile answers 409 `exists`."""
    try:
        return await create()
    except IntegrityError:
        raise Conflict(f"There is a {what} named {name!r} already.", code="exists") from None


class CatalogAdminService:
    # --- dispositions ------------------------------------------------------------------------------
    async def list_dispositions(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [disposition_view(r) for r in await Disposition.all().order_by("name")]

    async def create_disposition(self, principal: Principal, body: Any) -> dict[str, Any]:
        """`{"name"}`."""
        principal.require_admin()
        name = _name(_object(body).get("name"), 64)

        async def create() -> Disposition:
            async with in_transaction():
                row = await Disposition.create(name=name)
                await record(principal, "disposition.create", f"disposition {name}", None, disposition_view(row))
            return row

        return disposition_view(await _unique("disposition", name, create))

    async def update_disposition(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """`{"name"}`: a rename; interactions closed with it show the new name."""
        principal.require_admin()
        body = _object(body)
        row = await named(Disposition, key, "disposition")
        if set(body) != {"name"}:
            raise Invalid("Send the new name.")
        name = _name(body["name"], 64)
        before = disposition_view(row)

        async def rename() -> Disposition:
            async with in_transaction():
                await Disposition.filter(id=row.id).update(name=name)
                renamed = await Disposition.get(id=row.id)
                await record(principal, "disposition.update", f"disposition {name}", before,
                             disposition_view(renamed))
            return renamed

        return disposition_view(await _unique("disposition", name, rename))

    async def delete_disposition(self, principal: Principal, key: Any) -> None:
        """Refused once interactions were closed with it (their history keeps it); rename it instead."""
        principal.require_admin()
        row = await named(Disposition, key, "disposition")
        async with in_transaction():
            used = await Interaction.filter(disposition_id=row.id).count()
            if used:
                raise Conflict(f"{used} interaction(s) were closed as {row.name!r}: it stays for their history "
                               "(rename it if needed).", code="in_use")
            await row.delete()
            await record(principal, "disposition.delete", f"disposition {row.name}", disposition_view(row), None)

    # --- canned answers ----------------------------------------------------------------------------
    async def list_canned(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [canned_view(r) for r in await CannedAnswer.all().order_by("name")]

    async def create_canned(self, principal: Principal, body: Any) -> dict[str, Any]:
        """`{"name", "body"}`; the body may hold {first_name}, {last_name}, {full_name}, {agent_name}, {phone}."""
        principal.require_admin()
        body = _object(body)
        name = _name(body.get("name"), 128)
        text = checked_body(body.get("body"))

        async def create() -> CannedAnswer:
            async with in_transaction():
                row = await CannedAnswer.create(name=name, body=text)
                await record(principal, "canned.create", f"canned answer {name}", None, canned_view(row))
            return row

        return canned_view(await _unique("canned answer", name, create))

    async def update_canned(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """`{"name"?, "body"?}`."""
        principal.require_admin()
        body = _object(body)
        row = await named(CannedAnswer, key, "canned answer")
        if not body or set(body) - {"name", "body"}:
            raise Invalid("Send name and/or body.")
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _name(body["name"], 128)
        if "body" in body:
            changes["body"] = checked_body(body["body"])
        before = canned_view(row)

        async def update() -> CannedAnswer:
            async with in_transaction():
                await CannedAnswer.filter(id=row.id).update(**changes)
                changed = await CannedAnswer.get(id=row.id)
                await record(principal, "canned.update", f"canned answer {changed.name}", before,
                             canned_view(changed))
            return changed

        return canned_view(await _unique("canned answer", changes.get("name", row.name), update))

    async def delete_canned(self, principal: Principal, key: Any) -> None:
        principal.require_admin()
        row = await named(CannedAnswer, key, "canned answer")
        async with in_transaction():
            await row.delete()
            await record(principal, "canned.delete", f"canned answer {row.name}", canned_view(row), None)
