"""What the routing core is rebuilt from at start-up (SPEC R11): one read of the database."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

from tortoise import Tortoise
from tortoise.functions import Max

from server.domain.desk import AgentState
from server.domain.interaction import PendingTransfer
from server.domain.routing import QueueRules, Strategy
from server.persistence.models import Interaction, Queue, QueueMember, RoutingEvent, Transfer, User
from server.persistence.writer import WriterContext

DEFAULT_CAPACITY = 5


@dataclass
class QueueState:
    id: int
    name: str
    rules: QueueRules
    members: list[str]
    waiting: list[int] = field(default_factory=list)  # arrival order
    waiting_since: dict[int, float] = field(default_factory=dict)  # id -> when it arrived (epoch seconds)
    returned: set[int] = field(default_factory=set)  # waiting again: answered before, its owner disabled


@dataclass
class AgentStateRow:
    username: str
    state: AgentState
    reason: str | None
    capacity: int
    queues: dict[str, int]  # name -> weight
    own_capacity: bool = False  # `capacity` is the agent's own setting (else their queues' largest)


@dataclass
class OpenInteraction:
    id: int
    queue: str
    owner: str | None
    unread_count: int
    returned_unread: bool
    transfer: PendingTransfer | None
    last_inbound_id: int = 0
    unread_notes: list[str] = field(default_factory=list)  # recipients of supervisors' notes not yet read


@dataclass
class RoutingState:
    queues: list[QueueState]
    agents: list[AgentStateRow]
    interactions: list[OpenInteraction]


def rules_of(queue: Queue) -> QueueRules:
    return QueueRules(Strategy(queue.strategy), queue.weight, float(queue.offer_timeout),
                      float(queue.reoffer_delay), queue.capacity, float(queue.target_seconds))


async def load_routing_state() -> RoutingState:
    queues = {q.id: q for q in await Queue.all()}
    members: dict[int, list[str]] = defaultdict(list)
    for queue_id, username in await QueueMember.all().values_list("queue_id", "user__username"):
        members[queue_id].append(username)
    queue_of_user: dict[str, list[str]] = defaultdict(list)
    for queue_id, usernames in members.items():
        for username in usernames:
            queue_of_user[username].append(queues[queue_id].name)
    users = await User.filter(disabled=False).values("id", "username", "state", "state_reason", "capacity")
    rows = await Interaction.filter(status="open").order_by("id").values(
        "id", "queue_id", "owner__username", "returned_unread", "created_at", "first_agent_id")
    unread, last_inbound = await _unread_counts()
    notes = await _unread_notes()
    transfers = await _pending_transfers()
    interactions = []
    queue_states = {qid: QueueState(qid, q.name, rules_of(q), members.get(qid, [])) for qid, q in queues.items()}
    owners: set[str] = set()
    returned_at = await _returned_at([r["id"] for r in rows if r["owner__username"] is None and r["first_agent_id"]])
    for row in rows:
        owner = row["owner__username"]
        if owner is None:
            queue = queue_states[row["queue_id"]]
            queue.waiting.append(row["id"])
            queue.waiting_since[row["id"]] = returned_at.get(row["id"], row["created_at"].timestamp())
            if row["first_agent_id"] is not None:
                queue.returned.add(row["id"])
        else:
            owners.add(owner)
        interactions.append(OpenInteraction(row["id"], queues[row["queue_id"]].name, owner,
                                            unread.get(row["id"], 0), row["returned_unread"],
                                            transfers.get(row["id"]), last_inbound.get(row["id"], 0),
                                            notes.get(row["id"], [])))
    for queue in queue_states.values():  # in line as they (last) joined it
        queue.waiting.sort(key=lambda interaction_id: (queue.waiting_since[interaction_id], interaction_id))
    agents = []
    by_name = {q.name: q for q in queues.values()}
    for user in users:
        names = queue_of_user.get(user["username"], [])
        if not names and user["username"] not in owners:
            continue
        capacity = user["capacity"] or max((by_name[n].capacity for n in names), default=DEFAULT_CAPACITY)
        agents.append(AgentStateRow(user["username"], AgentState(user["state"]), user["state_reason"],
                                    capacity, {n: by_name[n].weight for n in names}, user["capacity"] is not None))
    return RoutingState(list(queue_states.values()), agents, interactions)


async def _returned_at(interaction_ids: list[int]) -> dict[int, float]:
    """When each of these interactions (answered before, waiting again) last went back to its queue."""
    if not interaction_ids:
        return {}
    rows = await RoutingEvent.filter(interaction_id__in=interaction_ids, kind="returned").group_by(
        "interaction_id").annotate(last=Max("created_at")).values_list("interaction_id", "last")
    return {interaction_id: last.timestamp() for interaction_id, last in rows}


async def load_agent_rows(usernames: list[str]) -> list[AgentStateRow]:
    """The stored desk state of these (non-disabled) users, as `load_routing_state` builds it: their queues
    with weights (empty when in none), their capacity. For an admin's change of membership or of a queue."""
    users = await User.filter(disabled=False, username__in=usernames).values(
        "username", "state", "state_reason", "capacity")
    memberships: dict[str, dict[str, int]] = defaultdict(dict)
    capacities: dict[str, list[int]] = defaultdict(list)
    for username, name, weight, capacity in await QueueMember.filter(user__username__in=usernames).values_list(
            "user__username", "queue__name", "queue__weight", "queue__capacity"):
        memberships[username][name] = weight
        capacities[username].append(capacity)
    return [AgentStateRow(u["username"], AgentState(u["state"]), u["state_reason"],
                          u["capacity"] or max(capacities[u["username"]], default=DEFAULT_CAPACITY),
                          memberships[u["username"]], u["capacity"] is not None) for u in users]


async def open_interactions_of(username: str) -> list[int]:
    """The open interactions a user owns (for a desk started after start-up)."""
    return list(cast(list[int], await Interaction.filter(status="open", owner__username=username).order_by("id")
                     .values_list("id", flat=True)))


async def _unread_counts() -> tuple[dict[int, int], dict[int, int]]:
    """For each open interaction: inbound messages after its read marker, and its latest inbound id."""
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        "SELECT m.interaction_id AS id, "
        "SUM(CASE WHEN m.id > i.read_marker THEN 1 ELSE 0 END) AS n, MAX(m.id) AS last "
        "FROM messages m JOIN interactions i ON i.id = m.interaction_id "
        "WHERE i.status = 'open' AND m.direction = 'in' GROUP BY m.interaction_id")
    return {row["id"]: int(row["n"]) for row in rows}, {row["id"]: row["last"] for row in rows}


async def _unread_notes() -> dict[int, list[str]]:
    """For each open interaction: the recipients of supervisors' notes after its read marker."""
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        "SELECT m.interaction_id AS id, m.recipient AS recipient "
        "FROM messages m JOIN interactions i ON i.id = m.interaction_id "
        "WHERE i.status = 'open' AND m.direction = 'note' AND m.recipient IS NOT NULL AND m.id > i.read_marker")
    found: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        found[row["id"]].append(row["recipient"])
    return found


async def _pending_transfers() -> dict[int, PendingTransfer]:
    pending: dict[int, PendingTransfer] = {}
    rows = await Transfer.filter(status="pending").values(
        "interaction_id", "generation", "from_agent__username", "to_agent__username", "to_queue__name",
        "targets", "expires_at")
    for row in rows:
        pending[row["interaction_id"]] = PendingTransfer(
            row["generation"], row["from_agent__username"], set(row["targets"] or []),
            row["expires_at"].timestamp(), row["to_agent__username"], row["to_queue__name"])
    return pending


async def load_writer_context() -> WriterContext:
    open_rows = await Interaction.filter(status="open").values_list("id", "account_id", "customer_phone")
    top = await Interaction.all().annotate(top=Max("id")).first().values("top")
    return WriterContext({(account, phone): iid for iid, account, phone in open_rows},
                         ((top or {}).get("top") or 0) + 1)
