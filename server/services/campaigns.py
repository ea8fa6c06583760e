"""Outbound campaigns (SPEC T5), for admins: create one (a list, optional tags, an account, a template with
each variable mapped to a contact field or a fixed text, a rate), start, pause, resume, cancel, and follow
it contact by contact. Every change is audited.

Starting takes the list's contacts as they are then: each becomes a recipient, pending, or skipped with
the reason (no valid WhatsApp number, no value for a variable, a number already in the campaign).
"""
from __future__ import annotations

import builtins
from typing import Any, cast

from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.connectors.campaign_runner import CampaignRunner
from server.domain.campaigns import CONTACT_FIELDS, check_mapping, check_rate, next_state, phone_problem, \
    values_for
from server.domain.templates import variable_count
from server.errors import Conflict, Invalid, NotFound
from server.persistence import campaign_queries
from server.persistence.models import Account, Campaign, CampaignRecipient, Contact, ContactList, ContactPhone, \
    CustomField, Tag, Template
from server.persistence.keys import by_name_or_id
from server.persistence.queries import raw
from server.persistence.writes import utcnow
from server.services.audit import record
from server.services.auth import Principal
from server.services.views import iso

FIELDS = {"name", "account", "list", "tags", "template", "variables", "rate"}
MAX_PAGE = 200


async def pending_for(account_id: int, phone: str) -> str | None:
    """The campaign (its name) of the account that still has a message to send to `phone` (SPEC T4)."""
    return await campaign_queries.pending_for(account_id, phone)


async def _named(model: type[Model], key: Any, what: str, field: str = "name") -> Any:
    """A row named by its unique name or its id; unknown: 422, as any other invalid choice in the body."""
    if key is None or isinstance(key, bool) or not str(key).strip():
        raise Invalid(f"Choose the {what}.")
    row = await by_name_or_id(model, key, field)
    if row is None:
        raise Invalid(f"There is no {what} {key!r}.")
    return row


def _view(row: dict[str, Any], totals: dict[str, int]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "state": row["state"], "account": row["account__key"],
            "list": row["list__name"], "tags": row["tags"], "template": row["template__name"],
            "variables": row["variables"], "rate": row["rate"], "created_by": row["created_by__username"],
            "created_at": iso(row["created_at"]), "started_at": iso(row["started_at"]),
            "finished_at": iso(row["finished_at"]), "totals": totals}


VIEW_FIELDS = ("id", "name", "state", "account__key", "list__name", "tags", "template__name", "variables", "rate",
               "created_by__username", "created_at", "started_at", "finished_at")


class CampaignService:
    def __init__(self, runner: CampaignRunner) -> None:
        self.runner = runner

    async def list(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        rows = await Campaign.all().order_by("-id").values(*VIEW_FIELDS)
        totals = await campaign_queries.totals([r["id"] for r in rows])
        return [_view(r, totals[r["id"]]) for r in rows]

    async def get(self, principal: Principal, campaign_id: int, *, page: int = 1, page_size: int = 50,
                  state: str | None = None) -> dict[str, Any]:
        """The campaign with its totals and one page of its recipients (optionally of one state)."""
        principal.require_admin()
        if not 1 <= page_size <= MAX_PAGE or page < 1:
            raise Invalid(f"page from 1, page_size from 1 to {MAX_PAGE}.")
        if state not in (None, "", *campaign_queries.STATES):
            raise Invalid(f"state is one of {', '.join(campaign_queries.STATES)}.")
        view = await self._one(campaign_id)
        view["recipients"] = {"items": await campaign_queries.recipients(
            campaign_id, (page - 1) * page_size, page_size, state or None),
            "total": view["totals"][state] if state else sum(view["totals"].values()),
            "page": page, "page_size": page_size}
        return view

    async def _one(self, campaign_id: int) -> dict[str, Any]:
        row = await Campaign.filter(id=campaign_id).first().values(*VIEW_FIELDS)
        if row is None:
            raise NotFound(f"There is no campaign {campaign_id}.")
        return _view(row, (await campaign_queries.totals([campaign_id]))[campaign_id])

    async def choices(self, principal: Principal) -> dict[str, Any]:
        """What the create dialog offers: accounts, lists with their custom fields, templates with their
        variable counts, tags, and the contact fields a variable may take."""
        principal.require_admin()
        fields: dict[int, list[str]] = {}
        for list_id, name in await CustomField.all().order_by("id").values_list("list_id", "name"):
            fields.setdefault(list_id, []).append(name)
        return {"accounts": await Account.all().order_by("key").values_list("key", flat=True),
                "lists": [{"name": name, "fields": fields.get(list_id, [])}
                          for list_id, name in await ContactList.all().order_by("name").values_list("id", "name")],
                "templates": [{"name": name, "variables": variable_count(body)}
                              for name, body in await Template.all().order_by("name").values_list("name", "body")],
                "tags": await Tag.all().order_by("name").values_list("name", flat=True),
                "contact_fields": list(CONTACT_FIELDS)}

    async def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        """A draft campaign; nothing is sent until it is started."""
        principal.require_admin()
        if not isinstance(body, dict) or set(body) - FIELDS:
            raise Invalid(f"Send an object with {', '.join(sorted(FIELDS))}.")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 128:
            raise Invalid("name: 1-128 characters.")
        account = await _named(Account, body.get("account"), "account", "key")
        contact_list = await _named(ContactList, body.get("list"), "list")
        template = await _named(Template, body.get("template"), "template")
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid("tags must be a list of tag names.")
        missing = sorted(set(tags) - set(await Tag.filter(name__in=tags).values_list("name", flat=True)))
        if missing:
            raise Invalid(f"There is no tag {missing[0]!r}.")
        custom = cast(list[str], await CustomField.filter(list_id=contact_list.id).values_list("name", flat=True))
        variables = check_mapping(body.get("variables", []), variable_count(template.body), custom)
        rate = check_rate(body.get("rate"))
        async with in_transaction():
            campaign = await Campaign.create(name=name.strip(), account=account, list=contact_list,
                                             tags=sorted(set(tags)), template=template, variables=variables,
                                             rate=rate, created_by_id=principal.id)
            view = await self._one(campaign.id)
            await record(principal, "campaign.create", f"campaign {campaign.id}", None,
                         {k: view[k] for k in ("name", "account", "list", "tags", "template", "variables", "rate")})
        return view

    async def act(self, principal: Principal, campaign_id: int, action: str) -> dict[str, Any]:
        """start | pause | resume | cancel."""
        principal.require_admin()
        campaign = await Campaign.get_or_none(id=campaign_id)
        if campaign is None:
            raise NotFound(f"There is no campaign {campaign_id}.")
        before = campaign.state
        state = next_state(before, action)
        changes: dict[str, Any] = {"state": state}
        recipients = await self._recipients(campaign) if action == "start" else []
        if action == "start":
            changes["started_at"] = utcnow()
        elif action == "cancel":
            changes["finished_at"] = utcnow()
        async with in_transaction():
            # Conditional: whoever changed it first (another admin, the runner finishing it) wins.
            if not await Campaign.filter(id=campaign_id, state=before).update(**changes):
                raise Conflict("The campaign changed meanwhile; look again.", code="campaign_state")
            if recipients:
                await CampaignRecipient.bulk_create(recipients, batch_size=500)
            if action == "cancel":
                await CampaignRecipient.filter(campaign_id=campaign_id, state="pending").update(
                    state="cancelled", reason="The campaign was cancelled.")
            await record(principal, f"campaign.{action}", f"campaign {campaign_id}", {"state": before},
                         {"state": state})
        if state == "running":
            self.runner.run(campaign_id)
        else:
            await self.runner.halt(campaign_id)
        return await self._one(campaign_id)

    @staticmethod
    async def _recipients(campaign: Campaign) -> builtins.list[CampaignRecipient]:
        """Every contact of the list (with all the campaign's tags), pending or skipped with the reason."""
        ids = await Contact.filter(list_id=campaign.list_id).order_by("id").values_list("id", flat=True)
        for tag in campaign.tags:
            tagged = {r["cid"] for r in await raw(
                "SELECT ct.contacts_id AS cid FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?",
                [tag])}
            ids = [i for i in ids if i in tagged]
        phones: dict[int, str] = {}
        for contact_id, phone in await ContactPhone.filter(contact_id__in=ids).order_by("id").values_list(
                "contact_id", "phone"):
            phones.setdefault(contact_id, phone)
        contacts = await Contact.filter(id__in=ids).order_by("id").values(
            "id", "first_name", "last_name", "company", "email", "field_values")
        taken: set[str] = set()
        rows = []
        for contact in contacts:
            phone = phones.get(contact["id"], "")
            values, reason = values_for(campaign.variables, contact)
            reason = phone_problem(phone) or reason
            if not reason and phone in taken:
                reason = f"{phone} is another recipient's number too; it gets one message."
            taken.add(phone)
            name = " ".join(filter(None, (contact["first_name"], contact["last_name"])))
            rows.append(CampaignRecipient(campaign_id=campaign.id, contact_id=contact["id"], name=name, phone=phone,
                                          variables=values, state="skipped" if reason else "pending",
                                          reason=reason[:255]))
        return rows
