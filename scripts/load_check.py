"""The loss check of a load run: every message sent is stored exactly once, and every interaction is in a
good state (closed, owned by the one agent that won it, or waiting unowned in its queue).

`collect_stored` reads what the server holds through the REST API as an admin (it works against any
server): the interactions of each simulated customer (`GET /interactions?phone=`), then every message of
each (`GET /interactions/{id}/messages`, paged back with `before`). `check_run` compares, and is pure.
"""
from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

PAGE = 200  # the interactions list's largest page
MESSAGES_PAGE = 500  # the messages endpoint's largest page


@dataclass
class Stored:
    """What the server holds for the run's customers."""

    interactions: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> the API's interaction
    texts: list[tuple[int, str, str]] = field(default_factory=list)  # (interaction id, direction, text)
    waiting: dict[str, int] = field(default_factory=dict)  # queue name -> waiting, as the agents see it


@dataclass
class Sent:
    """What the simulation sent and what it was told."""

    customer: dict[str, bool]  # token -> acknowledged (2xx)
    replies: dict[str, bool]  # token -> acknowledged (201)
    winners: dict[int, list[str]]  # interaction id -> agents told their accept succeeded
    closed: set[int]  # interactions the simulation closed (200)


@dataclass
class CheckReport:
    customer_sent: int = 0
    customer_acknowledged: int = 0
    replies_sent: int = 0
    replies_acknowledged: int = 0
    stored: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, not stored
    refused: list[str] = field(default_factory=list)  # never acknowledged, not stored
    duplicated: list[str] = field(default_factory=list)  # stored more than once
    unexpected: list[str] = field(default_factory=list)  # stored with this run's mark but never sent
    bad_states: list[str] = field(default_factory=list)  # one line per interaction in a bad state
    interactions: int = 0
    open_owned: int = 0
    open_waiting: int = 0
    closed: int = 0

    @property
    def ok(self) -> bool:
        failed = self.lost or self.duplicated or self.unexpected or self.bad_states
        return not failed and self.customer_acknowledged > 0

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "customer_sent": self.customer_sent, "customer_acknowledged": self.customer_acknowledged,
                "replies_sent": self.replies_sent, "replies_acknowledged": self.replies_acknowledged,
                "stored": self.stored, "lost": len(self.lost), "refused": len(self.refused),
                "duplicated": len(self.duplicated), "unexpected": len(self.unexpected),
                "bad_states": len(self.bad_states), "interactions": self.interactions,
                "open_owned": self.open_owned, "open_waiting": self.open_waiting, "closed": self.closed,
                "examples": {"lost": self.lost[:10], "duplicated": self.duplicated[:10],
                             "unexpected": self.unexpected[:10], "bad_states": self.bad_states[:10]}}

    def lines(self) -> list[str]:
        verdict = "PASSED" if self.ok else "FAILED"
        out = [f"LOSS CHECK {verdict}: {len(self.lost)} lost, {len(self.duplicated)} duplicated, "
               f"{len(self.unexpected)} unexpected, {len(self.bad_states)} interactions in a bad state",
               f"  customer messages: {self.customer_sent} sent, {self.customer_acknowledged} acknowledged, "
               f"{len(self.refused)} never acknowledged and not stored",
               f"  agent replies: {self.replies_sent} sent, {self.replies_acknowledged} acknowledged",
               f"  stored messages of this run: {self.stored}; interactions: {self.interactions} "
               f"({self.closed} closed, {self.open_owned} open with an owner, {self.open_waiting} open waiting)"]
        if self.customer_acknowledged == 0:
            out.append("  no customer message was acknowledged: nothing was checked")
        for name in ("lost", "duplicated", "unexpected", "bad_states"):
            examples = getattr(self, name)[:10]
            if examples:
                out.append(f"  {name}: " + "; ".join(examples))
        return out


def marks_in(run_id: str, texts: Iterable[str]) -> Counter[str]:
    """How many times each of the run's marks (`[<run><c|r><seq>]`) appears in the stored texts."""
    pattern = re.compile(r"\[(" + re.escape(run_id) + r"[cr]\d+)\]")
    found: Counter[str] = Counter()
    for text in texts:
        found.update(pattern.findall(text or ""))
    return found


def check_run(run_id: str, sent: Sent, stored: Stored) -> CheckReport:
    found = marks_in(run_id, (text for _, _, text in stored.texts))
    report = CheckReport(customer_sent=len(sent.customer), customer_acknowledged=sum(sent.customer.values()),
                         replies_sent=len(sent.replies), replies_acknowledged=sum(sent.replies.values()),
                         stored=sum(found.values()), interactions=len(stored.interactions))
    for marks in (sent.customer, sent.replies):
        for mark, acknowledged in marks.items():
            count = found.get(mark, 0)
            if count == 0:
                (report.lost if acknowledged else report.refused).append(mark)
            elif count > 1:
                report.duplicated.append(f"{mark} x{count}")
    report.unexpected = sorted(m for m in found if m not in sent.customer and m not in sent.replies)
    report.bad_states = _bad_states(sent, stored, report)
    return report


def _bad_states(sent: Sent, stored: Stored, report: CheckReport) -> list[str]:
    bad = []
    unowned_open: Counter[str] = Counter()
    for iid, winners in sorted(sent.winners.items()):
        if len(winners) > 1:
            bad.append(f"interaction {iid}: accepted by {len(winners)} agents ({', '.join(winners)})")
    for iid, row in sorted(stored.interactions.items()):
        status, owner = row.get("status"), row.get("owner")
        winners = sent.winners.get(iid, [])
        if status == "closed":
            report.closed += 1
        elif status != "open":
            bad.append(f"interaction {iid}: status {status!r}")
        elif iid in sent.closed:
            bad.append(f"interaction {iid}: closed by {winners[0] if winners else 'an agent'} but still open")
        elif owner:
            report.open_owned += 1
            if winners and owner != winners[0]:
                bad.append(f"interaction {iid}: owned by {owner}, but {winners[0]} won it")
        else:
            report.open_waiting += 1
            unowned_open[str(row.get("queue"))] += 1
            if winners:
                bad.append(f"interaction {iid}: {winners[0]} won it, but it has no owner")
    for queue, count in sorted(unowned_open.items()):
        if queue in stored.waiting and stored.waiting[queue] < count:
            bad.append(f"queue {queue}: {count} open interactions without an owner, "
                       f"but {stored.waiting[queue]} waiting")
    return bad


async def collect_stored(client: httpx.AsyncClient, phones: Iterable[str], *, concurrency: int = 16,
                         waiting: dict[str, int] | None = None) -> Stored:
    """`client`: signed in as an admin (base URL .../api/v1). Raises httpx.HTTPStatusError on a refusal."""
    stored = Stored(waiting=dict(waiting or {}))
    gate = asyncio.Semaphore(concurrency)

    async def interactions_of(phone: str) -> None:
        page = 1
        while True:
            async with gate:
                response = await client.get("/interactions", params={"phone": phone, "page": page,
                                                                     "page_size": PAGE})
            response.raise_for_status()
            body = response.json()
            for row in body["items"]:
                stored.interactions[row["id"]] = row
            if page * PAGE >= body["total"] or not body["items"]:
                return
            page += 1

    async def messages_of(iid: int) -> None:
        before: int | None = None
        while True:
            params: dict[str, Any] = {"limit": MESSAGES_PAGE, **({"before": before} if before else {})}
            async with gate:
                response = await client.get(f"/interactions/{iid}/messages", params=params)
            response.raise_for_status()
            items = response.json()["items"]
            stored.texts.extend((iid, m["direction"], m["text"] or "") for m in items)
            if len(items) < MESSAGES_PAGE:
                return
            before = min(m["id"] for m in items)

    await asyncio.gather(*(interactions_of(p) for p in sorted(set(phones))))
    await asyncio.gather(*(messages_of(i) for i in sorted(stored.interactions)))
    return stored
