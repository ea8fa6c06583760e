"""Simulated agents working through the REST API, and the shared state of a load run they act on.

Each agent polls its offers (`GET /offers`) at a set interval, accepts what it is offered (a lost race,
409 `taken`, is normal), answers each new customer message once, and closes a conversation once its
customer has sent the conversation's last message and had an answer.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from load_plan import Customer, token

Client = Any  # an httpx.AsyncClient or a ShardedClient: get, post, put
RACES = {"taken", "offer_gone", "no_offer", "accept_pending", "already_owner"}  # the normal ends of a lost race


@dataclass
class CustomerState:
    customer: Customer
    acked: int = 0  # messages acknowledged by the webhook
    quiet: bool = True  # the last acknowledged message ended a conversation: the agent may close
    has_interaction: bool = False  # an agent was offered its current conversation and has not closed it
    first_unoffered: float | None = None  # when its first message since the last close was sent


@dataclass
class Figures:
    ack_latency: list[float] = field(default_factory=list)  # seconds, due time -> 2xx
    lag: list[float] = field(default_factory=list)  # seconds, due time -> request started (the generator's own delay)
    offer_latency: list[float] = field(default_factory=list)  # first webhook of a conversation -> offer seen
    accept_latency: list[float] = field(default_factory=list)  # POST accept round trips that won
    reply_latency: list[float] = field(default_factory=list)  # POST messages round trips
    errors: Counter[str] = field(default_factory=Counter)
    races: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    accepted: int = 0
    closed: int = 0
    acked: int = 0
    first_due: float = 0.0
    last_ack: float = 0.0


@dataclass
class RunState:
    """Everything the customers and agents of one run share (one asyncio loop: no locks)."""

    run_id: str
    by_phone: dict[str, CustomerState]
    figures: Figures = field(default_factory=Figures)
    customer_marks: dict[str, bool] = field(default_factory=dict)  # mark -> acknowledged
    reply_marks: dict[str, bool] = field(default_factory=dict)
    winners: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    closed: set[int] = field(default_factory=set)
    offers_seen: set[int] = field(default_factory=set)
    sending_done: bool = False
    replies: int = 0

    def next_reply_mark(self) -> str:
        self.replies += 1
        return token(self.run_id, self.replies, "r")


@dataclass
class Owned:
    phone: str | None
    accepted_at: float
    replied_at: int = -1  # the customer's acknowledged count when the agent last answered


class ShardedClient:
    """Requests spread over small httpx clients, each with its own connections and a FIFO gate in front.

    httpcore's pool re-examines every connection against every waiting request on each request (costly
    calls included), so one pool of 64-128 connections with a backlog used a whole core at a few hundred
    requests/s and froze the generator; pools of `SHARD` connections with nobody waiting inside stay cheap."""

    SHARD = 8

    def __init__(self, *, connections: int, **kwargs: Any) -> None:
        count = max(1, -(-connections // self.SHARD))
        size = max(1, -(-connections // count))
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._shards = [(httpx.AsyncClient(limits=limits, **kwargs), asyncio.Semaphore(size)) for _ in range(count)]
        self._next = 0

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        client, gate = self._shards[self._next]
        self._next = (self._next + 1) % len(self._shards)
        async with gate:
            return await client.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def aclose(self) -> None:
        for client, _ in self._shards:
            await client.aclose()


def error_kind(what: str, response: httpx.Response | None = None, error: Exception | None = None) -> str:
    if error is not None:
        return f"{what}: {type(error).__name__}"
    assert response is not None
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    return f"{what}: HTTP {response.status_code}" + (f" {code}" if code else "")


class Agent:
    """One signed-in agent. Like a person, it takes at most `accepts_per_poll` of the offers it sees at a
    time (chosen at random). `handle_time`: how long it keeps a conversation whose customer it cannot
    follow (the phone masked in its offers) before closing it."""

    def __init__(self, run: RunState, client: Client, username: str, token_: str, *,
                 interval: float, handle_time: float, accepts_per_poll: int, rng: random.Random) -> None:
        self.run, self.client, self.username = run, client, username
        self.headers = {"Authorization": f"Bearer {token_}"}
        self.interval, self.handle_time, self.rng = interval, handle_time, rng
        self.accepts_per_poll = accepts_per_poll
        self.owned: dict[int, Owned] = {}
        self.offers_in_sight = 0

    async def work(self, stop: asyncio.Event) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.interval))  # spread the polls evenly
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.tick()
            except httpx.HTTPError as error:
                self.run.figures.errors[error_kind("agent", error=error)] += 1
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    @property
    def idle(self) -> bool:
        return not self.owned and not self.offers_in_sight

    async def tick(self) -> None:
        offers = [o for o in await self._offers() if o["interaction_id"] not in self.owned]
        for offer in self.rng.sample(offers, min(len(offers), self.accepts_per_poll)):
            await self._accept(offer)
        for iid, owned in list(self.owned.items()):
            await self._serve(iid, owned)

    async def _offers(self) -> list[dict[str, Any]]:
        figures = self.run.figures
        response = await self.client.get("/offers", headers=self.headers)
        figures.polls += 1
        if response.status_code != 200:
            figures.errors[error_kind("offers", response)] += 1
            return []
        now = time.monotonic()
        items = response.json()["items"]
        self.offers_in_sight = len(items)
        for offer in items:
            iid = offer["interaction_id"]
            if iid in self.run.offers_seen:
                continue
            self.run.offers_seen.add(iid)
            customer = self.run.by_phone.get((offer.get("contact") or {}).get("phone") or "")
            if customer is not None:
                customer.has_interaction = True
                if customer.first_unoffered is not None:
                    figures.offer_latency.append(now - customer.first_unoffered)
                    customer.first_unoffered = None
        return items

    async def _accept(self, offer: dict[str, Any]) -> None:
        iid, figures = offer["interaction_id"], self.run.figures
        started = time.monotonic()
        response = await self.client.post(f"/interactions/{iid}/accept", headers=self.headers)
        if response.status_code == 200:
            figures.accept_latency.append(time.monotonic() - started)
            figures.accepted += 1
            self.run.winners[iid].append(self.username)
            self.owned[iid] = Owned((offer.get("contact") or {}).get("phone"), time.monotonic())
            return
        kind = error_kind("accept", response)
        code = kind.rsplit(" ", 1)[-1]
        if response.status_code in (403, 409) and code in RACES:
            figures.races[code] += 1
        else:
            figures.errors[kind] += 1

    async def _serve(self, iid: int, owned: Owned) -> None:
        """Answer what the customer wrote since the last answer; close once they are done and answered."""
        customer = self.run.by_phone.get(owned.phone or "")
        if customer is None:
            if owned.replied_at < 0:
                owned.replied_at = 0
                await self._reply(iid, "Hello, how can I help?")
            elif time.monotonic() - owned.accepted_at >= self.handle_time:
                await self._close(iid, None)
            return
        if customer.acked > owned.replied_at:
            owned.replied_at = customer.acked
            await self._reply(iid, f"Thank you {customer.customer.name.split()[0]}, let me check that.")
        elif customer.quiet or self.run.sending_done:
            await self._close(iid, customer)

    async def _reply(self, iid: int, text: str) -> None:
        mark = self.run.next_reply_mark()
        self.run.reply_marks[mark] = False
        started = time.monotonic()
        response = await self.client.post(f"/interactions/{iid}/messages", headers=self.headers,
                                          json={"text": f"{text} [{mark}]"})
        if response.status_code == 201:
            self.run.reply_marks[mark] = True
            self.run.figures.reply_latency.append(time.monotonic() - started)
        else:
            self.run.figures.errors[error_kind("reply", response)] += 1

    async def _close(self, iid: int, customer: CustomerState | None) -> None:
        response = await self.client.post(f"/interactions/{iid}/close", headers=self.headers, json={})
        if response.status_code == 200:
            self.run.closed.add(iid)
            self.run.figures.closed += 1
            if customer is not None:
                customer.has_interaction = False
        else:
            self.run.figures.errors[error_kind("close", response)] += 1
        self.owned.pop(iid, None)


async def sign_in(client: Client, username: str, password: str) -> str:
    """The bearer token; raises RuntimeError with the server's reason when refused."""
    response = await client.post("/auth/login", json={"username": username, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"{username} cannot sign in: {error_kind('login', response)}")
    return response.json()["token"]


async def set_state(client: Client, token_: str, state: str) -> httpx.Response:
    return await client.put("/me/state", json={"state": state}, headers={"Authorization": f"Bearer {token_}"})


async def create_agents(client: Client, admin_token: str, usernames: list[str], password: str,
                        queue: str, concurrency: int = 4) -> str:
    """Create the agent users (existing ones are kept) through POST /admin/users, then make them members of
    `queue` through the admin queue API. Returns a note for the report; raises RuntimeError on a refusal."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    gate = asyncio.Semaphore(concurrency)

    async def create(username: str) -> None:
        async with gate:
            response = await client.post("/admin/users", headers=headers, json={
                "username": username, "password": password, "role": "agent", "full_name": f"Load {username}"})
        if response.status_code not in (201, 409):
            raise RuntimeError(f"cannot create {username}: {error_kind('create user', response)}")

    await asyncio.gather(*(create(u) for u in usernames))
    return await _join_queue(client, headers, usernames, queue)


async def _join_queue(client: Client, headers: dict[str, str], usernames: list[str], queue: str) -> str:
    current = await client.get(f"/admin/queues/{queue}", headers=headers)
    if current.status_code in (404, 405) and (await client.get("/admin/queues", headers=headers)).status_code in (
            404, 405):
        return (f"created {len(usernames)} agents, but this server has no admin API for queue membership: "
                f"they are not members of {queue} and get no offers")
    if current.status_code != 200:
        raise RuntimeError(f"cannot read queue {queue}: {error_kind('queue', current)}")
    members = sorted(set(current.json().get("members") or []) | set(usernames))
    response = await client.put(f"/admin/queues/{queue}/members", headers=headers, json={"members": members})
    if response.status_code != 200:
        raise RuntimeError(f"cannot add the agents to {queue}: {error_kind('queue members', response)}")
    return f"created {len(usernames)} agents (existing ones kept) and made them members of {queue}"
