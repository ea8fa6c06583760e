"""Queue administration (SPEC A1): a queue's routing rules and its members, with live effect.

Admins only. Every change is stored with its audit entry in one transaction; once committed, the running
actors are told (ActorSystem): a new queue's actor starts, changed rules reach it, members join or leave
both the queue's actor and their own desk (a first membership starts the agent's desk). No restart needed.
A queue's name is fixed once created: it names the queue's actor, the offers agents hold and the routing
history; make a new queue instead.
"""
from __future__ import annotations

import builtins
import re
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.actors.system import ActorSystem
from server.domain.routing import Strategy
from server.errors import Conflict, Invalid
from server.persistence.keys import by_name_or_id
from server.persistence.models import Account, Interaction, Queue, QueueMember, QueueSupervisor, Transfer, User
from server.persistence.routing_state import load_agent_rows, open_interactions_of, rules_of
from server.services.audit import record
from server.services.auth import Principal
from server.services.contact_admin import named

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._-]{0,63}$")
# field -> (lowest, highest, default)
NUMBERS: dict[str, tuple[int, int, int]] = {
    "weight": (0, 100, 0),
    "offer_timeout": (5, 3600, 30),
    "reoffer_delay": (0, 86_400, 60),
    "capacity": (1, 100, 5),
    "target_seconds": (1, 86_400, 60),
}
RULES = ("strategy", *NUMBERS)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object.")
    return body


def _number(value: Any, name: str) -> int:
    low, high, _ = NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}.")
    return value


def _strategy(value: Any) -> str:
    names = [s.value for s in Strategy]
    if value not in names:
        raise Invalid(f"strategy must be one of {', '.join(names)}.")
    return str(value)


def _name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not NAME.match(text):
        raise Invalid("name: 1-64 characters, starting with a letter; letters, digits, spaces, '.', '_' or '-'.")
    return text


def checked_rules(body: dict[str, Any]) -> dict[str, Any]:
    """The rule fields present in `body`, checked."""
    out: dict[str, Any] = {}
    if "strategy" in body:
        out["strategy"] = _strategy(body["strategy"])
    for name in NUMBERS:
        if name in body:
            out[name] = _number(body[name], name)
    return out


async def checked_members(value: Any) -> list[User]:
    """Usernames (or ids) of existing, enabled users; any role may be an agent member of a queue."""
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise Invalid("members must be a list of usernames.")
    users: dict[int, User] = {}
    unknown: list[str] = []
    for key in value:
        text = str(key).strip().lower()
        user = await by_name_or_id(User, text, "username")
        if user is None:
            unknown.append(str(key))
        elif user.disabled:
            raise Invalid(f"The user {user.username!r} is disabled and cannot be a queue member.")
        else:
            users[user.id] = user
    if unknown:
        raise Invalid(f"Unknown user(s): {', '.join(unknown)}.")
    return sorted(users.values(), key=lambda u: u.username)


async def queue_view(queue: Queue) -> dict[str, Any]:
    members = await QueueMember.filter(queue_id=queue.id).order_by("user__username").values_list(
        "user__username", flat=True)
    supervisors = await QueueSupervisor.filter(queue_id=queue.id).order_by("user__username").values_list(
        "user__username", flat=True)
    accounts = await Account.filter(queue_id=queue.id).order_by("key").values_list("key", flat=True)
    return {"id": queue.id, "name": queue.name, "strategy": queue.strategy, "weight": queue.weight,
            "offer_timeout": queue.offer_timeout, "reoffer_delay": queue.reoffer_delay,
            "capacity": queue.capacity, "target_seconds": queue.target_seconds,
            "members": list(members), "supervisors": list(supervisors), "accounts": list(accounts)}


class QueueAdminService:
    def __init__(self, system: ActorSystem) -> None:
        self.system = system

    async def list(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_admin()
        return [await queue_view(q) for q in await Queue.all().order_by("name")]

    async def get(self, principal: Principal, key: Any) -> dict[str, Any]:
        principal.require_admin()
        return await queue_view(await named(Queue, key, "queue"))

    async def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        """`{"name", "strategy"?, "weight"?, "offer_timeout"?, "reoffer_delay"?, "capacity"?, "target_seconds"?,
        "members"?}`; omitted rules take their defaults."""
        principal.require_admin()
        body = _object(body)
        unknown = set(body) - {"name", "members", *RULES}
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        name = _name(body.get("name"))
        rules = {"strategy": Strategy.RING_ALL.value, **{k: v[2] for k, v in NUMBERS.items()}, **checked_rules(body)}
        members = await checked_members(body.get("members", []))
        try:
            async with in_transaction():
                queue = await Queue.create(name=name, **rules)
                for user in members:
                    await QueueMember.create(queue_id=queue.id, user_id=user.id)
                after = await queue_view(queue)
                await record(principal, "queue.create", f"queue {name}", None, after)
        except IntegrityError:
            raise Conflict(f"There is a queue named {name!r} already.", code="exists") from None
        self.system.queue_created(queue.id, queue.name, rules_of(queue))
        if members:
            await self._tell_members(queue.name, [u.username for u in members], [])
        return after

    async def update(self, principal: Principal, key: Any, body: Any) -> dict[str, Any]:
        """Any of the rules; members change with `set_members` (PUT .../members)."""
        principal.require_admin()
        body = _object(body)
        queue = await named(Queue, key, "queue")
        if "members" in body:
            raise Invalid("Members change with PUT /admin/queues/{queue}/members {\"members\": [...]}.")
        if "name" in body and body["name"] != queue.name:
            raise Invalid("A queue's name cannot change: it names the queue in offers and history. "
                          "Create a new queue instead.")
        unknown = set(body) - {"name", *RULES}
        if unknown:
            raise Invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        changes = checked_rules(body)
        if not changes:
            raise Invalid(f"Send any of {', '.join(RULES)}.")
        before = await queue_view(queue)
        async with in_transaction():
            await Queue.filter(id=queue.id).update(**changes)
            queue = await Queue.get(id=queue.id)
            after = await queue_view(queue)
            await record(principal, "queue.update", f"queue {queue.name}", before, after)
        self.system.queue_rules_changed(queue.name, rules_of(queue))
        if after["members"] and (before["weight"], before["capacity"]) != (after["weight"], after["capacity"]):
            # desks weigh offers by the queue's weight, and take their capacity from their queues'
            await self._tell_members(queue.name, after["members"], [])
        return after

    async def set_members(self, principal: Principal, key: Any, members: Any) -> dict[str, Any]:
        """Replace the queue's members. A removed member's offers of this queue are withdrawn; the
        interactions they own stay theirs."""
        principal.require_admin()
        queue = await named(Queue, key, "queue")
        users = await checked_members(members)
        before = await queue_view(queue)
        wanted = {u.username for u in users}
        current = set(before["members"])
        async with in_transaction():
            await QueueMember.filter(queue_id=queue.id).exclude(user_id__in=[u.id for u in users]).delete()
            for user in users:
                if user.username not in current:
                    await QueueMember.create(queue_id=queue.id, user_id=user.id)
            after = await queue_view(queue)
            await record(principal, "queue.members", f"queue {queue.name}", {"members": before["members"]},
                         {"members": after["members"]})
        joined, left = sorted(wanted - current), sorted(current - wanted)
        if joined or left:
            await self._tell_members(queue.name, joined + left, left)
        return after

    async def set_supervisors(self, principal: Principal, key: Any, supervisors: Any) -> dict[str, Any]:
        """Replace who watches the queue on the supervisor board (SPEC S1): users with the supervisor role
        (administrators see every queue anyway). Takes effect when their board is next opened."""
        principal.require_admin()
        queue = await named(Queue, key, "queue")
        if not isinstance(supervisors, list):
            raise Invalid("supervisors must be a list of usernames.")
        users = await checked_members(supervisors)
        wrong = [u.username for u in users if u.role != "supervisor"]
        if wrong:
            raise Invalid(f"Only supervisors can watch a queue; not: {', '.join(wrong)}.")
        before = await queue_view(queue)
        async with in_transaction():
            await QueueSupervisor.filter(queue_id=queue.id).delete()
            for user in users:
                await QueueSupervisor.create(queue_id=queue.id, user_id=user.id)
            after = await queue_view(queue)
            await record(principal, "queue.supervisors", f"queue {queue.name}",
                         {"supervisors": before["supervisors"]}, {"supervisors": after["supervisors"]})
        return after

    async def delete(self, principal: Principal, key: Any) -> None:
        """Refused while accounts route to the queue or interactions (open or on record) or pending transfers
        name it: move the accounts first; a queue with history stays."""
        principal.require_admin()
        queue = await named(Queue, key, "queue")
        async with in_transaction():
            accounts = cast(list[str], await Account.filter(queue_id=queue.id).order_by("key").values_list(
                "key", flat=True))
            if accounts:
                raise Conflict(f"Accounts route to the queue {queue.name!r} ({', '.join(accounts)}): route them "
                               "to another queue first.", code="in_use")
            open_count = await Interaction.filter(queue_id=queue.id, status="open").count()
            if open_count:
                raise Conflict(f"The queue {queue.name!r} has {open_count} open interaction(s).", code="in_use")
            if await Interaction.filter(queue_id=queue.id).exists():
                raise Conflict(f"The queue {queue.name!r} has interactions on record; it stays for their history.",
                               code="in_use")
            if await Transfer.filter(to_queue_id=queue.id, status="pending").exists():
                raise Conflict(f"A transfer to the queue {queue.name!r} is pending.", code="in_use")
            before = await queue_view(queue)
            await queue.delete()
            await record(principal, "queue.delete", f"queue {queue.name}", before, None)
        self.system.queue_deleted(queue.id, queue.name, await load_agent_rows(before["members"]))

    async def _tell_members(self, queue: str, usernames: builtins.list[str], left: builtins.list[str]) -> None:
        """After the commit: each affected agent's stored membership goes to its desk (a new desk owns what
        the agent already owns)."""
        rows = await load_agent_rows(usernames)
        open_ids = {row.username: await open_interactions_of(row.username) for row in rows
                    if queue in row.queues and self.system.desk(row.username) is None}
        self.system.membership_changed(queue, rows, left, open_ids)
