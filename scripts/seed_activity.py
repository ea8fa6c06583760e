"""The seeded workspace's contacts and its closed interactions, written in batches (one transaction each)
with the bulk inserts of server/persistence/bulk_seed.py."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from seed_config import TIERS, TIMES, Workspace
from seed_people import People
from seed_texts import TOPICS, conversation
from server.persistence.bulk_seed import ContactRow, as_json, insert_contacts, insert_rows, next_id

CONTACT_BATCH = 5_000
INTERACTION_BATCH = 1_000
CONTACT_DAYS = 365  # contacts were added over the past year ...
INTERACTION_DAYS = 90  # ... and wrote over the past 90 days
NOTES = ["", "", "", "", "Prefers WhatsApp after 18:00.", "Asked for a quote last month.", "Met at the trade fair.",
         "Wants invoices by email.", "Call back about the renewal.", "Speaks English and Spanish."]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Customer:
    """Someone the seeded conversations are with."""

    contact_id: int | None
    phone: str
    first_name: str
    last_name: str


def _custom_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.7:
        values["tier"] = rng.choices(TIERS, weights=(50, 30, 15, 5))[0]
    if rng.random() < 0.4:
        values["birthday"] = (date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))).isoformat()
    if rng.random() < 0.5:
        values["lifetime_value"] = round(rng.lognormvariate(5.5, 1.0), 2)
    if rng.random() < 0.3:
        values["preferred_time"] = rng.choice(TIMES)
    return values


async def seed_contacts(count: int, ws: Workspace, people: People, seed: int, anchor: datetime,
                        progress: Progress) -> list[Customer]:
    """`count` contacts over the workspace's new lists, each with 1-2 numbers, tags, custom values, and the
    agents who added or edited it; returns them as customers for the conversations."""
    rng = random.Random(f"{seed}:contacts")
    list_ids = [list_id for list_id, _ in ws.lists]
    tag_ids = sorted(ws.tags.values())
    staff = [user_id for user_id, _, _ in ws.agents + ws.supervisors]
    span = CONTACT_DAYS * 24 * 3600
    seconds = sorted(rng.randrange(span) for _ in range(count))
    start = anchor - timedelta(days=CONTACT_DAYS)
    contact_id = await next_id(Tortoise.get_connection("default"), "contacts")
    customers: list[Customer] = []
    batch: list[ContactRow] = []
    for k in range(count):
        person = people.person(phones=rng.choice((1, 1, 1, 2)))
        created = start + timedelta(seconds=seconds[k], microseconds=rng.randrange(1_000_000))
        authors = [rng.choice(staff)] if staff else []
        if staff and rng.random() < 0.1:
            authors.append(rng.choice(staff))
        batch.append(ContactRow(
            list_id=rng.choice(list_ids) if list_ids else None, first_name=person.first_name,
            last_name=person.last_name, email=person.email, company=person.company, created_at=created,
            updated_at=created + timedelta(days=rng.randrange(30)) if rng.random() < 0.3 else created,
            phones=person.phones, notes=rng.choice(NOTES), field_values=_custom_values(rng) if list_ids else {},
            tag_ids=rng.sample(tag_ids, k=min(len(tag_ids), rng.choice((0, 0, 0, 1, 1, 2, 3)))), authors=authors))
        customers.append(Customer(contact_id + k, person.phones[0], person.first_name, person.last_name))
        if len(batch) >= CONTACT_BATCH or k == count - 1:
            async with in_transaction() as conn:
                await insert_contacts(conn, contact_id + k + 1 - len(batch), batch)
            progress(len(batch))
            batch = []
    return customers


@dataclass
class ActivityCounts:
    interactions: int = 0
    messages: int = 0
    notes: int = 0
    interaction_tags: int = 0
    routing_events: int = 0


INTERACTION_COLUMNS = ("id", "account_id", "queue_id", "customer_phone", "customer_name", "contact_id", "status",
                       "owner_id", "first_agent_id", "disposition_id", "read_marker", "returned_unread",
                       "created_at", "accepted_at", "closed_at", "last_inbound_at")
MESSAGE_COLUMNS = ("id", "interaction_id", "direction", "kind", "text", "status", "sender", "external_key",
                   "created_at")


class InteractionBatch:
    """The rows of one batch of closed interactions, table by table."""

    def __init__(self) -> None:
        self.interactions: list[tuple[Any, ...]] = []
        self.messages: list[tuple[Any, ...]] = []
        self.tags: list[tuple[int, int]] = []
        self.events: list[tuple[Any, ...]] = []
        self.participations: list[tuple[int, int, datetime]] = []  # (interaction, agent, joined at)

    async def write(self) -> None:
        async with in_transaction() as conn:
            await insert_rows(conn, "interactions", INTERACTION_COLUMNS, self.interactions)
            await insert_rows(conn, "messages", MESSAGE_COLUMNS, self.messages)
            await insert_rows(conn, "interaction_tags", ("interactions_id", "tag_id"), self.tags)
            await insert_rows(conn, "participations", ("interaction_id", "user_id", "joined_at"), self.participations)
            await insert_rows(conn, "routing_events", ("interaction_id", "kind", "agents", "detail", "created_at"),
                              self.events)


async def seed_interactions(count: int, per: int, ws: Workspace, customers: list[Customer], people: People,
                            seed: int, anchor: datetime, progress: Progress) -> ActivityCounts:
    """`count` closed conversations over the past 90 days, `per` messages each on average (customer and agent
    in turn, internal notes among them), each owned by an agent of its queue, with a disposition and tags."""
    rng = random.Random(f"{seed}:interactions")
    conn = Tortoise.get_connection("default")
    interaction_id, message_id = await next_id(conn, "interactions"), await next_id(conn, "messages")
    staff = {user_id: (username, name) for user_id, username, name in ws.agents}
    queues = [queue_id for queue_id, _ in ws.queues if ws.members.get(queue_id)]
    regulars = customers[: max(1, len(customers) // 10)]  # a tenth of the customers write again and again
    span = INTERACTION_DAYS * 24 * 3600
    seconds = sorted(rng.randrange(span) for _ in range(count))
    start = anchor - timedelta(days=INTERACTION_DAYS)
    counts = ActivityCounts()
    batch = InteractionBatch()
    for k in range(count):
        if customers:
            customer = rng.choice(regulars if rng.random() < 0.3 else customers)
        else:  # no contacts seeded: people who wrote without being in the contact manager
            person = people.person(phones=1)
            customer = Customer(None, person.phones[0], person.first_name, person.last_name)
        queue_id = rng.choice(queues)
        account_id, _ = rng.choice(ws.accounts[queue_id])
        owner = rng.choice(ws.members[queue_id])
        username, agent_name = staff[owner]
        topic = rng.choice(TOPICS)
        created = start + timedelta(seconds=seconds[k], microseconds=rng.randrange(1_000_000))
        lines = conversation(rng, topic, rng.randint(max(2, per // 2), max(2, per + per // 2)),
                             customer.first_name, agent_name.split()[0], created.date())
        customer_name = f"{customer.first_name} {customer.last_name}".strip()
        accepted = created + timedelta(seconds=rng.randint(3, 90))
        moment, last_inbound = created, created
        for n, line in enumerate(lines):
            if n:
                moment = max(moment + timedelta(seconds=rng.randint(15, 420)), accepted + timedelta(seconds=n))
            if line.direction == "in":
                last_inbound = moment
                row = ("received", customer_name or customer.phone, f"{account_id}:wamid.seed{message_id}")
            elif line.direction == "out":
                row = (rng.choice(("read", "read", "read", "delivered")), agent_name,
                       f"{account_id}:wamid.seed{message_id}")
            else:
                row = ("internal", agent_name, None)
                counts.notes += 1
            batch.messages.append((message_id, interaction_id, line.direction, "text", line.text, row[0], row[1],
                                   row[2], moment))
            message_id += 1
        closed = moment + timedelta(seconds=rng.randint(30, 1800))
        disposition = ws.dispositions[rng.choice(topic.dispositions)]
        batch.interactions.append((interaction_id, account_id, queue_id, customer.phone, customer_name,
                                   customer.contact_id, "closed", owner, owner, disposition, message_id - 1, False,
                                   created, accepted, closed, last_inbound))
        batch.participations.append((interaction_id, owner, accepted))
        tags = set(topic.tags) | ({"VIP"} if rng.random() < 0.08 else set())
        batch.tags += [(interaction_id, ws.tags[name]) for name in sorted(tags)]
        batch.events += [(interaction_id, "queued", "[]", "", created),
                         (interaction_id, "offered", as_json([username]), "", created + timedelta(seconds=1)),
                         (interaction_id, "accepted", as_json([username]), "", accepted),
                         (interaction_id, "closed", as_json([username]), "", closed)]
        interaction_id += 1
        if len(batch.interactions) >= INTERACTION_BATCH or k == count - 1:
            await batch.write()
            counts.interactions += len(batch.interactions)
            counts.messages += len(batch.messages)
            counts.interaction_tags += len(batch.tags)
            counts.routing_events += len(batch.events)
            progress(len(batch.interactions))
            batch = InteractionBatch()
    return counts
