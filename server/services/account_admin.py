"""Provider account administration (SPEC A1, A2): which queue an account routes to, its window length, its
recontact template and its provider credentials.

Admins only; every change is audited in its transaction (credentials appear in the audit only as which
keys changed). Credentials are stored encrypted (persistence/credentials.py) and never answered in full:
each known key shows whether it is set and a masked hint. A PATCH replaces the credentials it names
(null removes an optional one) and keeps the others. The next webhook or send uses the change: the
inbound account cache is told to forget the account; connectors read credentials through the one
accessor. An account's key and provider are fixed once created (the key is in the provider's webhook URL).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.domain.phone import normalize_phone
from server.errors import Conflict, Invalid
from server.persistence.credentials import credentials_of, open_stored, seal
from server.persistence.models import Account, Campaign, Interaction, Queue, Template, UnroutedInbound
from server.services.audit import record
from server.services.auth import Principal
from server.services.contact_admin import named
from server.services.inbound import InboundService
from server.services.paging import check_paging
from server.services.views import iso

KEY = re.compile(r"^[a-z][a-z0-9._-]{0,63}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_WINDOW_HOURS = 168
MAX_SECRET = 1000


@dataclass(frozen=True)
class Credential:
    name: str
    required: bool = True
    flag: bool = False  # a true/false option rather than a string


# What each connector reads (server/connectors/*.py).
CREDENTIALS: dict[str, tuple[Credential, ...]] = {
    "sandbox": (),
    "meta": (Credential("phone_number_id"), Credential("access_token"), Credential("app_secret"),
             Credential("verify_token"), Credential("waba_id", required=False),
             Credential("media_by_link", required=False, flag=True)),
    "twilio": (Credential("account_sid"), Credential("auth_token")),
    "kaleyra": (Credential("sid"), Credential("api_key"), Credential("webhook_secret"),
                Credential("callback_profile_id", required=False)),
    "sinch": (Credential("project_id"), Credential("app_id"), Credential("key_id"), Credential("key_secret"),
              Credential("webhook_secret"), Credential("auth_url", required=False)),
}
PROVIDERS = tuple(CREDENTIALS)
FIELDS = ("key", "provider", "name", "phone_number", "queue", "api_base_url", "window_hours", "recontact_template",
          "credentials")


def masked(value: Any) -> str:
    """A hint that tells two secrets apart without giving either away."""
    text = str(value)
    return "••••" + text[-4:] if len(text) >= 12 else "••••"


def credentials_view(provider: str, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for spec in CREDENTIALS.get(provider, ()):
        present = spec.name in values and values[spec.name] not in (None, "")
        hint = (bool(values[spec.name]) if spec.flag else masked(values[spec.name])) if present else None
        out[spec.name] = {"set": present, "hint": hint, "required": spec.required}
    return out


async def account_view(account: Account) -> dict[str, Any]:
    queue = await Queue.get_or_none(id=account.queue_id)
    return {"id": account.id, "key": account.key, "provider": account.provider, "name": account.name,
            "phone_number": account.phone_number, "queue": queue.name if queue else None,
            "api_base_url": account.api_base_url, "window_hours": account.window_hours,
            "recontact_template": account.recontact_template,
            "credentials": credentials_view(account.provider, credentials_of(account))}


def _audit_view(view: dict[str, Any]) -> dict[str, Any]:
    """The audit keeps which credentials are set, not even their hints."""
    return {**view, "credentials": sorted(k for k, v in view["credentials"].items() if v["set"])}


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object.")
    return body


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise Invalid(f"{name}: text of up to {limit} characters.")
    return value.strip()


def _url(value: Any) -> str:
    text = _text(value, "api_base_url", 255)
    if text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid("api_base_url must be an http(s) URL, or empty for the provider's own API.")
    return text.rstrip("/")


def _phone(value: Any) -> str:
    """The account's own number in E.164 (test ranges such as +1 555 01xx pass on their shape alone)."""
    text = _text(value, "phone_number", 32)
    if not text:
        return ""
    try:
        return normalize_phone(text)
    except Invalid:
        if E164.match(text):
            return text
        raise Invalid("phone_number must be in international form, such as +14155550123.") from None


def _window(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WINDOW_HOURS:
        raise Invalid(f"window_hours must be a whole number from 0 (no window) to {MAX_WINDOW_HOURS}, "
                      "or null for the provider's rule.")
    return value


async def _template(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return (await named(Template, value, "template")).name


def merged_credentials(provider: str, current: dict[str, Any], changes: Any) -> dict[str, Any]:
    """`current` with `changes` applied (a null removes a key), checked against the provider's keys."""
    if not isinstance(changes, dict):
        raise Invalid("credentials must be an object of the provider's keys.")
    specs = {s.name: s for s in CREDENTIALS[provider]}
    unknown = sorted(set(changes) - set(specs))
    if unknown:
        known = ", ".join(specs) or "none"
        raise Invalid(f"Unknown credential(s) for {provider}: {', '.join(unknown)} (known: {known}).")
    values = {k: v for k, v in current.items() if k in specs}
    for name, value in changes.items():
        spec = specs[name]
        if value is None:
            values.pop(name, None)
        elif spec.flag:
            if not isinstance(value, bool):
                raise Invalid(f"credentials.{name} must be true or false.")
            values[name] = value
        elif not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_SECRET:
            raise Invalid(f"credentials.{name}: 1-{MAX_SECRET} characters (null removes it).")
        else:
            values[name] = value.strip()
    missing = [s.name for s in specs.values() if s.required and values.get(s.name) in (None, "")]
    if missing:
        raise Invalid(f"A {provider} account needs credentials: {', '.join(missing)}.")
    return values


class AccountAdminService:
    def __init__(self, inbound: InboundService) -> None:
        self.inbound = inbound

    async def list(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [await account_view(a) for a in await Account.all().order_by("key")]

    async def get(self, principal: Principal, key: Any) -> dict[str, Any]:
        principal.require_admin()
        return await account_view(await named(Account, key, "account", "key"))

    async def unrouted(self, principal: Principal, account: Any = None, page: int = 1,
                       page_size: int = 50) -> dict[str, Any]:
        """What providers delivered that no conversation took (no sender, a number of no account of ours),
        newest first, with the item as delivered: for the admin to see what was not stored and why."""
        principal.require_admin()
        check_paging(page, page_size)
        query = UnroutedInbound.all()
        if account not in (None, ""):
            query = query.filter(account_id=(await named(Account, account, "account", "key")).id)
        total = await query.count()
        rows = await query.order_by("-id").offset((page - 1) * page_size).limit(page_size).values(
            "id", "account__key", "provider", "reason", "payload", "created_at")
        return {"items": [{"id": r["id"], "account": r["account__key"], "provider": r["provider"],
                           "reason": r["reason"], "payload": r["payload"], "received_at": iso(r["created_at"])}
                          for r in rows], "total": total, "page": page, "page_size": page_size}

    async def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        """`{"key", "provider", "queue", "credentials" (the provider's required keys), "name"?, "phone_number"?,
        "api_base_url"?, "window_hours"?, "recontact_template"?}`."""
        principal.require_admin()
        body = _object(body)
        unknown = set(body) - set(FIELDS)
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        key = body.get("key").strip().lower() if isinstance(body.get("key"), str) else ""
        if not KEY.match(key):
            raise Invalid("key: 1-64 characters, starting with a letter; lowercase letters, digits, '.', '_' or '-'.")
        provider = body.get("provider")
        if provider not in PROVIDERS:
            raise Invalid(f"provider must be one of {', '.join(PROVIDERS)}.")
        queue = await named(Queue, body.get("queue"), "queue")
        fields: dict[str, Any] = {"name": _text(body.get("name", ""), "name", 128),
                                  "phone_number": _phone(body.get("phone_number", "")),
                                  "api_base_url": _url(body.get("api_base_url", "")),
                                  "window_hours": _window(body.get("window_hours")),
                                  "recontact_template": await _template(body.get("recontact_template"))}
        values = merged_credentials(provider, {}, body.get("credentials", {}))
        try:
            async with in_transaction():
                account = await Account.create(key=key, provider=provider, queue_id=queue.id,
                                               credentials=seal(values), **fields)
                after = await account_view(account)
                await record(principal, "account.create", f"account {key}", None, _audit_view(after))
        except IntegrityError:
            raise Conflict(f"There is an account {key!r} already.", code="exists") from None
        self.inbound.forget_account(key)  # a new number of a Meta app is routed from now on
        return after

    async def update(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        principal.require_admin()
        body = _object(body)
        account = await named(Account, key, "account", "key")
        for fixed in ("key", "provider"):
            if fixed in body and body[fixed] != getattr(account, fixed):
                raise Invalid(f"An account's {fixed} cannot change: create a new account instead.")
        unknown = set(body) - set(FIELDS)
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _text(body["name"], "name", 128)
        if "phone_number" in body:
            changes["phone_number"] = _phone(body["phone_number"])
        if "api_base_url" in body:
            changes["api_base_url"] = _url(body["api_base_url"])
        if "window_hours" in body:
            changes["window_hours"] = _window(body["window_hours"])
        if "recontact_template" in body:
            changes["recontact_template"] = await _template(body["recontact_template"])
        if "queue" in body:
            changes["queue_id"] = (await named(Queue, body["queue"], "queue")).id
        if "credentials" in body:
            current = open_stored(account.credentials, account.key)
            changes["credentials"] = seal(merged_credentials(account.provider, current, body["credentials"]))
        if not changes:
            raise Invalid(f"Send any of {', '.join(f for f in FIELDS if f not in ('key', 'provider'))}.")
        before = await account_view(account)
        async with in_transaction():
            await Account.filter(id=account.id).update(**changes)
            account = await Account.get(id=account.id)
            after = await account_view(account)
            audit_after = _audit_view(after)
            if "credentials" in body:
                audit_after["credentials_changed"] = sorted(body["credentials"])
            await record(principal, "account.update", f"account {account.key}", _audit_view(before), audit_after)
        self.inbound.forget_account(account.key)
        return after

    async def delete(self, principal: Principal, key: Any) -> None:
        """Refused while interactions or campaigns reference the account (they keep its history)."""
        principal.require_admin()
        account = await named(Account, key, "account", "key")
        async with in_transaction():
            interactions = await Interaction.filter(account_id=account.id).count()
            if interactions:
                raise Conflict(f"The account {account.key!r} has {interactions} interaction(s) on record; "
                               "it stays for their history.", code="in_use")
            campaigns = await Campaign.filter(account_id=account.id).count()
            if campaigns:
                raise Conflict(f"The account {account.key!r} is used by {campaigns} campaign(s).", code="in_use")
            before = _audit_view(await account_view(account))
            await account.delete()
            await record(principal, "account.delete", f"account {account.key}", before, None)
        self.inbound.forget_account(account.key)
