"""Message templates (SPEC T3): their administration (admins only; every change audited in its
transaction), their review at Meta (submit, sync of statuses), Twilio's Content SIDs, and the list agents
pick from.

A template's `statuses` holds, per Meta account, what Meta last said of it (status, Meta's id, reason);
`provider_ids` what sending names it by on each account: the name at Meta once approved (Meta sends by name
and language), the Content SID on Twilio."""
from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.connectors.meta_templates import MetaTemplate, MetaTemplates, waba_id
from server.domain.templates import MAX_VARIABLE, TemplateContent, checked_template, variable_count
from server.errors import Conflict, Invalid
from server.persistence.models import Account, Template
from server.services.audit import record
from server.services.auth import Principal
from server.services.contact_admin import named

EDITABLE = ("name", "language", "category", "body", "header", "footer", "buttons", "available_for_agents")
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
APPROVED = "APPROVED"


def template_view(row: Template, recontact_for: list[str] | None = None) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "language": row.language, "category": row.category, "body": row.body,
            "header": row.header, "footer": row.footer, "buttons": list(row.buttons or []),
            "available_for_agents": row.available_for_agents, "variables": variable_count(row.body),
            "statuses": row.statuses or {}, "provider_ids": row.provider_ids or {},
            "recontact_for": recontact_for or []}


def content_of(row: Template) -> TemplateContent:
    """The stored template, checked as a provider will check it."""
    try:
        return checked_template(row.name, row.language, row.category, row.body, row.header, row.footer, row.buttons)
    except Invalid as error:
        raise Invalid(f"The template {row.name!r} needs fixing first: {error.message}") from None


class TemplateAdminService:
    def __init__(self, meta: MetaTemplates) -> None:
        self.meta = meta

    # --- what agents pick from ---------------------------------------------------------------------

    async def for_agents(self, principal: Principal) -> list[dict[str, Any]]:
        """Templates available for agents (any signed-in user), with their variable count and each account's
        review status where known."""
        return [{"id": row.id, "name": row.name, "language": row.language, "category": row.category,
                 "body": row.body, "header": row.header, "footer": row.footer, "buttons": list(row.buttons or []),
                 "variables": variable_count(row.body),
                 "statuses": {key: {"status": s.get("status"), "reason": s.get("reason")}
                              for key, s in (row.statuses or {}).items()}}
                for row in await Template.filter(available_for_agents=True).order_by("name")]

    # --- administration ----------------------------------------------------------------------------

    async def templates(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        uses = await _recontact_uses()
        return [template_view(row, uses.get(row.name)) for row in await Template.all().order_by("name")]

    async def template(self, principal: Principal, key: Any) -> dict[str, Any]:
        principal.require_admin()
        row = await named(Template, key, "template")
        return template_view(row, (await _recontact_uses()).get(row.name))

    async def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require_admin()
        body = _changes(body)
        content = checked_template(body.get("name"), body.get("language", "en"), body.get("category", "utility"),
                                   body.get("body"), body.get("header", ""), body.get("footer", ""),
                                   body.get("buttons", []))
        available = _flag(body.get("available_for_agents", True))
        try:
            async with in_transaction():
                row = await Template.create(**_columns(content), available_for_agents=available)
                await record(principal, "template.create", f"template {row.name}", None, template_view(row))
        except IntegrityError:
            raise Conflict(f"There is a template named {content.name!r} already.", code="exists") from None
        return template_view(row)

    async def update(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """Any of the editable parts. A new name or language no longer matches what Meta reviewed: the
        template's Meta statuses (and the names Meta sends it by) are dropped; Twilio's SIDs stay."""
        principal.require_admin()
        body = _changes(body)
        if not body:
            raise Invalid(f"Send one or more of: {', '.join(EDITABLE)}.")
        row = await named(Template, key, "template")
        merged = {**_columns(row), **body}
        content = checked_template(merged["name"], merged["language"], merged["category"], merged["body"],
                                   merged["header"], merged["footer"], merged["buttons"])
        available = _flag(body.get("available_for_agents", row.available_for_agents))
        uses = (await _recontact_uses()).get(row.name)
        if content.name != row.name and uses:
            raise Conflict(f"The template {row.name!r} is the recontact template of {', '.join(uses)}: it keeps its "
                           "name while an account uses it.", code="in_use")
        statuses, provider_ids = dict(row.statuses or {}), dict(row.provider_ids or {})
        if (content.name, content.language) != (row.name, row.language):
            for account_key in list(statuses):
                statuses.pop(account_key)
                provider_ids.pop(account_key, None)
        before = template_view(row, uses)
        try:
            async with in_transaction():
                await Template.filter(id=row.id).update(**_columns(content), available_for_agents=available,
                                                        statuses=statuses, provider_ids=provider_ids)
                row = await Template.get(id=row.id)
                await record(principal, "template.update", f"template {row.name}", before, template_view(row, uses))
        except IntegrityError:
            raise Conflict(f"There is a template named {content.name!r} already.", code="exists") from None
        return template_view(row, uses)

    async def delete(self, principal: Principal, key: Any) -> None:
        """Refused while an account uses it as its recontact template (SPEC T2), or anything else stored
        refers to it (a campaign)."""
        principal.require_admin()
        row = await named(Template, key, "template")
        try:
            async with in_transaction():
                uses = (await _recontact_uses()).get(row.name)
                if uses:
                    raise Conflict(f"The template {row.name!r} is the recontact template of {', '.join(uses)}: "
                                   "choose another one for them first.", code="in_use")
                await row.delete()
                await record(principal, "template.delete", f"template {row.name}", template_view(row), None)
        except IntegrityError:
            raise Conflict(f"The template {row.name!r} is in use (by a campaign): it stays.", code="in_use") from None

    # --- providers ---------------------------------------------------------------------------------

    async def provider_accounts(self, principal: Principal) -> list[dict[str, str]]:
        """The accounts templates are reviewed on (Meta) or linked to by a Content SID (Twilio)."""
        principal.require_admin()
        return [{"key": key, "provider": provider} for key, provider in await Account.filter(
            provider__in=("meta", "twilio")).order_by("key").values_list("key", "provider")]

    async def sync_meta(self, principal: Principal, account_key: Any) -> dict[str, Any]:
        """Meta's templates of this account: each one's status stored on the local template of the same name
        and language; one that exists only at Meta is created here (not yet available for agents); one
        this desk cannot send as Meta defines it is skipped, with the reason. Templates Meta no longer lists
        lose their status for this account."""
        principal.require_admin()
        account = await named(Account, account_key, "account", "key")
        remote = await self.meta.templates(account)
        summary: dict[str, Any] = {"account": account.key, "updated": [], "created": [], "skipped": [],
                                   "removed": []}
        async with in_transaction():
            local = {row.name: row for row in await Template.all()}
            seen: set[int] = set()
            for found in remote:
                row = local.get(found.name)
                if row is not None and row.language != found.language:
                    summary["skipped"].append(_skipped(found, f"the template here of this name is in {row.language}"))
                    continue
                if row is None:
                    try:
                        content = _content_from_meta(found)
                    except Invalid as error:
                        summary["skipped"].append(_skipped(found, error.message))
                        continue
                    row = await Template.create(**_columns(content), available_for_agents=False)
                    local[row.name] = row
                    summary["created"].append(row.name)
                elif row.id not in seen:
                    summary["updated"].append(row.name)
                seen.add(row.id)
                await _store_review(row, account.key, found.status, found.id, found.reason)
            for row in local.values():
                if row.id not in seen and account.key in (row.statuses or {}):
                    await _forget_review(row, account.key)
                    summary["removed"].append(row.name)
            await record(principal, "template.sync", f"account {account.key}", None,
                         {k: v for k, v in summary.items() if k != "account"})
        return summary

    async def submit_meta(self, principal: Principal, template_key: Any, account_key: Any,
                          examples: Any = None) -> dict[str, Any]:
        """Submit the template to Meta for review on this account; `examples`: one value per body variable,
        which Meta's reviewers read."""
        principal.require_admin()
        row = await named(Template, template_key, "template")
        account = await named(Account, account_key, "account", "key")
        waba_id(account)
        content = content_of(row)
        values = _examples(examples, variable_count(row.body))
        meta_id, status = await self.meta.submit(account, content, values)
        async with in_transaction():
            row = await Template.get(id=row.id)
            before = template_view(row)
            await _store_review(row, account.key, status, meta_id, None)
            await record(principal, "template.submit", f"template {row.name} / {account.key}", before,
                         template_view(row))
        return template_view(row, (await _recontact_uses()).get(row.name))

    async def set_content_sid(self, principal: Principal, template_key: Any, account_key: Any,
                              sid: Any) -> dict[str, Any]:
        """The Twilio Content SID (HX + 32 hex digits) this template is sent by on a Twilio account; an
        empty or null `sid` removes it."""
        principal.require_admin()
        row = await named(Template, template_key, "template")
        account = await named(Account, account_key, "account", "key")
        if account.provider != "twilio":
            raise Invalid(f"The account {account.key!r} is a {account.provider} account: Content SIDs are for "
                          "Twilio accounts.")
        if sid is not None and not isinstance(sid, str):
            raise Invalid("sid must be a text.")
        sid = (sid or "").strip()
        if sid and not CONTENT_SID.fullmatch(sid):
            raise Invalid("sid: a Twilio Content SID is HX followed by 32 hexadecimal digits.")
        async with in_transaction():
            row = await Template.get(id=row.id)
            before = template_view(row)
            provider_ids = {k: v for k, v in (row.provider_ids or {}).items() if k != account.key}
            if sid:
                provider_ids[account.key] = sid
            await Template.filter(id=row.id).update(provider_ids=provider_ids)
            row.provider_ids = provider_ids
            await record(principal, "template.content_sid", f"template {row.name} / {account.key}", before,
                         template_view(row))
        return template_view(row, (await _recontact_uses()).get(row.name))


def _columns(parts: TemplateContent | Template) -> dict[str, Any]:
    """The content's columns (of checked content, or of a stored row as it is)."""
    return {"name": parts.name, "language": parts.language, "category": parts.category, "body": parts.body,
            "header": parts.header, "footer": parts.footer, "buttons": list(parts.buttons or ())}


def _changes(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("Send an object.")
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}. A template has: {', '.join(EDITABLE)}.")
    return body


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("available_for_agents must be true or false.")
    return value


def _examples(value: Any, count: int) -> list[str]:
    values = [] if value is None else value
    if not isinstance(values, list) or len(values) != count or not all(
            isinstance(v, str) and v.strip() and len(v) <= MAX_VARIABLE and "\n" not in v for v in values):
        raise Invalid(f"examples: Meta reviews a template with an example for each of its variables; send {count} "
                      "one-line text(s), in order." if count else "examples: this template has no variables.")
    return [v.strip() for v in values]


async def _recontact_uses() -> dict[str, list[str]]:
    """Template name -> keys of the accounts that use it as their recontact template."""
    uses: dict[str, list[str]] = {}
    for key, name in await Account.filter(recontact_template__isnull=False).order_by("key").values_list(
            "key", "recontact_template"):
        uses.setdefault(name, []).append(key)
    return uses


def _content_from_meta(found: MetaTemplate) -> TemplateContent:
    if found.header_format not in ("", "TEXT"):
        raise Invalid(f"its header is of type {found.header_format}; this desk sends text headers only")
    if found.other_buttons:
        raise Invalid(f"it has {', '.join(sorted(set(found.other_buttons)))} buttons; this desk sends quick "
                      "replies only")
    return checked_template(found.name, found.language, found.category, found.body, found.header, found.footer,
                            list(found.buttons))


def _skipped(found: MetaTemplate, reason: str) -> dict[str, str]:
    return {"name": found.name, "language": found.language, "reason": reason}


async def _store_review(row: Template, account_key: str, status: str, meta_id: str, reason: str | None) -> None:
    """What Meta said of the template on this account; it is sent by its name there once approved."""
    statuses = {**(row.statuses or {}), account_key: {"status": status, "provider_id": meta_id, "reason": reason}}
    provider_ids = {k: v for k, v in (row.provider_ids or {}).items() if k != account_key}
    if status == APPROVED:
        provider_ids[account_key] = row.name
    await Template.filter(id=row.id).update(statuses=statuses, provider_ids=provider_ids)
    row.statuses, row.provider_ids = statuses, provider_ids


async def _forget_review(row: Template, account_key: str) -> None:
    statuses = {k: v for k, v in (row.statuses or {}).items() if k != account_key}
    provider_ids = {k: v for k, v in (row.provider_ids or {}).items() if k != account_key}
    await Template.filter(id=row.id).update(statuses=statuses, provider_ids=provider_ids)
    row.statuses, row.provider_ids = statuses, provider_ids
