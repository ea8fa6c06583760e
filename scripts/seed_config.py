"""The configuration of a seeded workspace: users, queues with their members and supervisors, accounts,
contact lists with custom fields and permissions, tags, dispositions and canned answers. Written next to
what the database already holds: a name that is taken gets the next number (agent6 after agent5) or a
suffix ("Sales 2"); tags, dispositions and canned answers of the same name are reused."""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from seed_people import MobileNumbers, People
from seed_texts import TOPICS
from server.persistence.bulk_seed import as_json, insert_rows, next_id

QUEUE_NAMES = ["Sales", "Support", "Billing", "Returns", "Onboarding", "Technical", "VIP Care", "Retention",
               "Logistics", "Partners", "Wholesale", "Claims"]
LIST_NAMES = ["Customers", "Leads", "Partners", "Suppliers", "Newsletter", "Prospects", "Resellers",
              "Event guests", "Former customers", "Wholesale"]
TAGS = [("VIP", "#d32f2f"), ("Complaint", "#f57c00"), ("Sales", "#388e3c"), ("Support", "#1976d2"),
        ("Billing", "#7b1fa2"), ("Returns", "#5d4037"), ("Prospect", "#0097a7"), ("Newsletter", "#607d8b"),
        ("B2B", "#303f9f"), ("Churn risk", "#c2185b"), ("Follow-up", "#fbc02d"), ("Reseller", "#455a64")]
DISPOSITIONS = ["Resolved", "Follow-up needed", "Sale", "No answer", "Spam", "Refund issued", "Escalated",
                "Information provided"]
CANNED = [
    ("Greeting", "Hello {first_name}, thank you for contacting us. How can I help?"),
    ("Hold on", "Thank you, {first_name}. Let me check that for you; it will take a moment."),
    ("Goodbye", "Thank you for writing to us, {first_name}. Have a good day!"),
    ("Order number", "Could you send me your order number, please? It starts with # and is in the "
                     "confirmation email."),
    ("Refund times", "Card refunds show within 3-5 working days after we approve them."),
    ("Opening hours", "Our team is here Monday to Friday, 9:00-18:00, and Saturday 9:00-13:00."),
    ("Delivery delay", "I'm sorry, {first_name}: the courier has a delay in your area. Your parcel is on its way."),
    ("Agent intro", "Hi {first_name}, I'm {agent_name} and I'll take care of your request."),
]
TIERS = ["bronze", "silver", "gold", "platinum"]
TIMES = ["morning", "afternoon", "evening"]
CUSTOM_FIELDS = [("tier", "Tier", "choice", TIERS), ("birthday", "Birthday", "date", []),
                 ("lifetime_value", "Lifetime value (EUR)", "number", []),
                 ("preferred_time", "Preferred contact time", "choice", TIMES)]
STRATEGIES = ["ring_all", "round_robin", "least_recent", "least_busy"]


@dataclass
class Workspace:
    """What the later phases draw on, and what the summary reports."""

    agents: list[tuple[int, str, str]] = field(default_factory=list)  # id, username, full name
    supervisors: list[tuple[int, str, str]] = field(default_factory=list)
    admin: str | None = None  # the admin created, if there was none
    queues: list[tuple[int, str]] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)  # queue id -> agent ids
    accounts: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # queue id -> (account id, key)
    lists: list[tuple[int, str]] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)  # every tag the seed uses, by name
    dispositions: dict[str, int] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)  # names found already stored
    created: dict[str, int] = field(default_factory=dict)  # rows per table


def unique_name(base: str, taken: set[str], sep: str = " ") -> str:
    """`base`, or `base 2`, `base 3`... whichever is free; the result is added to `taken`."""
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}{sep}{n}"
    taken.add(name.lower())
    return name


def numbered(prefix: str, taken: set[str], count: int) -> list[str]:
    """`count` usernames `prefix<N>` numbered after the highest one stored."""
    top = max((int(m.group(1)) for u in taken if (m := re.fullmatch(rf"{prefix}(\d+)", u))), default=0)
    return [f"{prefix}{top + k}" for k in range(1, count + 1)]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


async def _names(conn: BaseDBAsyncClient, sql: str) -> dict[str, Any]:
    return {r["name"]: r.get("id") for r in await conn.execute_query_dict(sql)}


@dataclass
class ConfigPlan:
    agents: int
    supervisors: int
    queues: int
    lists: int
    password_hash: str
    seed: int
    start: datetime  # the workspace's users date from here


async def seed_config(conn: BaseDBAsyncClient, plan: ConfigPlan, people: People,
                      account_numbers: MobileNumbers) -> Workspace:
    """Writes the configuration in the caller's transaction; returns what was made."""
    rng = random.Random(f"{plan.seed}:config")
    ws = Workspace()
    await _users(conn, plan, people, ws)
    await _queues(conn, plan, rng, account_numbers, ws)
    await _lists(conn, plan, rng, ws)
    await _catalog(conn, ws)
    return ws


async def _users(conn: BaseDBAsyncClient, plan: ConfigPlan, people: People, ws: Workspace) -> None:
    stored = await conn.execute_query_dict("SELECT username, role FROM users")
    taken = {r["username"] for r in stored}
    uid = await next_id(conn, "users")
    rows = []
    if not any(r["role"] == "admin" for r in stored):
        ws.admin = unique_name("admin", taken, sep="")
        rows.append((uid, ws.admin, "admin", "Workspace Admin"))
        uid += 1
    for role, count, target in (("supervisor", plan.supervisors, ws.supervisors), ("agent", plan.agents, ws.agents)):
        for username in numbered(role, taken, count):
            first, last = people.full_name()
            rows.append((uid, username, role, f"{first} {last}"[:128]))
            target.append((uid, username, f"{first} {last}"[:128]))
            uid += 1
    await insert_rows(conn, "users", ("id", "username", "password_hash", "role", "full_name", "state", "disabled",
                                      "created_at"),
                      [(i, u, plan.password_hash, role, name, "offline", False, plan.start)
                       for i, u, role, name in rows])
    ws.created["users"] = len(rows)


async def _queues(conn: BaseDBAsyncClient, plan: ConfigPlan, rng: random.Random, numbers: MobileNumbers,
                  ws: Workspace) -> None:
    taken = {name.lower() for name in await _names(conn, "SELECT name FROM queues")}
    qid = await next_id(conn, "queues")
    queue_rows = []
    for k in range(plan.queues):
        base = QUEUE_NAMES[k] if k < len(QUEUE_NAMES) else f"Queue {k + 1}"
        name = unique_name(base, taken)
        queue_rows.append((qid + k, name, rng.choice(STRATEGIES), rng.choice((0, 0, 1, 2)), 30, 60,
                           rng.choice((3, 4, 5, 6)), rng.choice((30, 60, 120))))
        ws.queues.append((qid + k, name))
    await insert_rows(conn, "queues", ("id", "name", "strategy", "weight", "offer_timeout", "reoffer_delay",
                                       "capacity", "target_seconds"), queue_rows)
    # Each agent in 1-3 queues; each queue gets an agent first, while there are agents to go round.
    queue_ids = [q for q, _ in ws.queues]
    chosen: dict[int, list[int]] = {}
    for k, (agent_id, _, _) in enumerate(ws.agents):
        if queue_ids:
            first = queue_ids[k % len(queue_ids)]
            others = [q for q in queue_ids if q != first]
            chosen[agent_id] = [first, *rng.sample(others, rng.randint(0, min(2, len(others))))]
    members = sorted((q, a) for a, qs in chosen.items() for q in qs)
    for queue_id, agent_id in members:
        ws.members.setdefault(queue_id, []).append(agent_id)
    await insert_rows(conn, "queue_members", ("queue_id", "user_id"), members)
    # Supervisors watch every new queue on the live board (SPEC S1).
    watching = [(queue_id, user_id) for user_id, _, _ in ws.supervisors for queue_id in queue_ids]
    await insert_rows(conn, "queue_supervisors", ("queue_id", "user_id"), watching)
    # One sandbox account per queue, and one Meta account on the first queue.
    keys = {key.lower() for key in await _names(conn, "SELECT key AS name FROM accounts")}
    aid = await next_id(conn, "accounts")
    account_rows = []
    for queue_id, name in ws.queues:
        key = unique_name(f"{slug(name)}-sandbox", keys, sep="-")
        account_rows.append((aid, key, "sandbox", f"{name} (sandbox)", numbers.next(), queue_id, "{}"))
        ws.accounts.setdefault(queue_id, []).append((aid, key))
        aid += 1
    if ws.queues:
        queue_id, name = ws.queues[0]
        key = unique_name(f"{slug(name)}-meta", keys, sep="-")
        credentials = {"app_secret": f"seed-app-secret-{plan.seed}", "verify_token": f"seed-verify-{plan.seed}",
                       "phone_number_id": str(100000000000000 + aid), "access_token": f"seed-access-token-{aid}"}
        account_rows.append((aid, key, "meta", f"{name} (WhatsApp Business)", numbers.next(), queue_id,
                             as_json(credentials)))
        ws.accounts[queue_id].append((aid, key))
    await insert_rows(conn, "accounts", ("id", "key", "provider", "name", "phone_number", "queue_id", "credentials",
                                         "api_base_url"), [(*row, "") for row in account_rows])
    ws.created.update(queues=len(queue_rows), queue_members=len(members), queue_supervisors=len(watching),
                      accounts=len(account_rows))


async def _lists(conn: BaseDBAsyncClient, plan: ConfigPlan, rng: random.Random, ws: Workspace) -> None:
    taken = {name.lower() for name in await _names(conn, "SELECT name FROM contact_lists")}
    lid = await next_id(conn, "contact_lists")
    for k in range(plan.lists):
        base = LIST_NAMES[k] if k < len(LIST_NAMES) else f"List {k + 1}"
        ws.lists.append((lid + k, unique_name(base, taken)))
    await insert_rows(conn, "contact_lists", ("id", "name"), ws.lists)
    fields = [(list_id, name, label, kind, json.dumps(choices)) for list_id, _ in ws.lists
              for name, label, kind, choices in CUSTOM_FIELDS]
    await insert_rows(conn, "custom_fields", ("list_id", "name", "label", "kind", "choices"), fields)
    # Agents view one or more lists, add to and edit some; supervisors may do all of it on every list.
    list_ids = [list_id for list_id, _ in ws.lists]
    rights = []
    for user_id, _, _ in ws.agents:
        for list_id in sorted(rng.sample(list_ids, rng.randint(1, len(list_ids)))) if list_ids else []:
            rights.append((list_id, user_id, True, rng.random() < 0.5, rng.random() < 0.35))
    rights += [(list_id, user_id, True, True, True) for user_id, _, _ in ws.supervisors for list_id in list_ids]
    await insert_rows(conn, "list_permissions", ("list_id", "user_id", "can_view", "can_add", "can_edit"), rights)
    # New customers who write to an account land in a list (SPEC C9).
    triggers = [(account_id, list_ids[k % len(list_ids)]) for k, account_id in
                enumerate(a for accounts in ws.accounts.values() for a, _ in accounts)] if list_ids else []
    await insert_rows(conn, "contact_triggers", ("account_id", "list_id"), triggers)
    ws.created.update(contact_lists=len(ws.lists), custom_fields=len(fields), list_permissions=len(rights),
                      contact_triggers=len(triggers))


async def _catalog(conn: BaseDBAsyncClient, ws: Workspace) -> None:
    """Tags, dispositions and canned answers: those stored under the same name are reused."""
    wanted_tags = dict(TAGS)
    for topic in TOPICS:
        for name in topic.tags:
            wanted_tags.setdefault(name, "#607d8b")
    ws.tags = await _get_or_insert(conn, "tags", wanted_tags, lambda i, n, color: (i, n, color),
                                   ("id", "name", "color"), ws)
    wanted = dict.fromkeys([*DISPOSITIONS, *(d for topic in TOPICS for d in topic.dispositions)], "")
    ws.dispositions = await _get_or_insert(conn, "dispositions", wanted, lambda i, n, _: (i, n), ("id", "name"), ws)
    stored = {name.lower() for name in await _names(conn, "SELECT name FROM canned_answers")}
    canned = [(name, body) for name, body in CANNED if name.lower() not in stored]
    ws.reused += [f"canned answer {name!r}" for name, _ in CANNED if name.lower() in stored]
    await insert_rows(conn, "canned_answers", ("name", "body"), canned)
    ws.created["canned_answers"] = len(canned)


async def _get_or_insert(conn: BaseDBAsyncClient, table: str, wanted: dict[str, str], row: Any,
                         columns: tuple[str, ...], ws: Workspace) -> dict[str, int]:
    stored = {name.lower(): (name, i) for name, i in (await _names(conn, f"SELECT id, name FROM {table}")).items()}
    found: dict[str, int] = {}
    next_free = await next_id(conn, table)
    rows = []
    for name, extra in wanted.items():
        if name.lower() in stored:
            found[name] = stored[name.lower()][1]
            ws.reused.append(f"{table[:-1]} {stored[name.lower()][0]!r}")
        else:
            found[name] = next_free
            rows.append(row(next_free, name, extra))
            next_free += 1
    await insert_rows(conn, table, columns, rows)
    ws.created[table] = len(rows)
    return found
