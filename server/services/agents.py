"""An agent's own desk: state, queues, offers, accept and reject (SPEC R3-R6, D1-D3)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from server.actors import mail
from server.actors.agent import DeskView
from server.actors.bridge import ask
from server.actors.queue import QueueView
from server.actors.system import ActorSystem
from server.domain.masking import masking_for
from server.errors import Conflict, Forbidden, NotFound, Taken
from server.persistence import queries
from server.persistence.models import Queue, User
from server.services import list_rights
from server.services.auth import Principal
from server.services.settings import SettingsService
from server.services.transfer_offers import transfer_details
from server.services.views import contact_view, iso


WAITING_SHOWN = 50  # the longest-waiting conversations listed on a desk (the rest are counted)


class AgentService:
    def __init__(self, system: ActorSystem, settings: SettingsService) -> None:
        self.system = system
        self.settings = settings

    def _desk(self, principal: Principal) -> Any:
        ref = self.system.desk(principal.username)
        if ref is None:
            raise Forbidden("You are not a member of any queue, so you have no agent desk.", code="no_desk")
        return ref

    async def desk_view(self, principal: Principal) -> DeskView | None:
        ref = self.system.desk(principal.username)
        return None if ref is None else await ask(ref, mail.Snapshot)

    async def me(self, principal: Principal) -> dict[str, Any]:
        view = await self.desk_view(principal)
        if view is None:
            user = await User.get(id=principal.id)
            state, reason, capacity, open_ids, unread = user.state, user.state_reason, user.capacity, [], {}
        else:
            state, reason, capacity, open_ids, unread = (view.state, view.reason, view.capacity, view.open,
                                                         view.unread)
        return {"id": principal.id, "username": principal.username, "role": principal.role,
                "full_name": principal.full_name, "state": state, "reason": reason, "capacity": capacity,
                "open_interactions": open_ids, "unread_total": sum(unread.values()),
                "queues": await queries.queue_names_of(principal.username)}

    async def set_state(self, principal: Principal, state: str, reason: str | None) -> dict[str, Any]:
        return await ask(self._desk(principal), lambda reply: mail.SetState(state, reason, reply))

    async def queues(self, principal: Principal) -> list[dict[str, Any]]:
        """The agent's queues (supervisors and admins: all), each with how many wait and offers in flight."""
        if principal.sees_everything:
            names = sorted(cast(list[str], await Queue.all().values_list("name", flat=True)))
        else:
            names = await queries.queue_names_of(principal.username)
        out = []
        for name in names:
            ref = self.system.queue(name)
            view: QueueView | None = await ask(ref, mail.Snapshot) if ref is not None else None
            out.append({"name": name, "waiting": len(view.waiting) if view else 0,
                        "offers_in_flight": view.offers_in_flight if view else 0,
                        "agents_online": sum(1 for a in view.members.values() if a.available) if view else 0})
        return out

    async def offers(self, principal: Principal) -> list[dict[str, Any]]:
        view = await self.desk_view(principal)
        if view is None:
            return []
        rows = await queries.interaction_rows([o.interaction_id for o in view.offers])
        masking = masking_for(principal.role, self.settings.get("masking"))
        lists = await list_rights.list_ids(principal, "view") if any(r["contact_id"] for r in rows.values()) \
            else None
        transfers = await transfer_details([o.interaction_id for o in view.offers if o.kind == "transfer"])
        now = time.time()
        return [{"interaction_id": o.interaction_id, "kind": o.kind, "queue": o.queue,
                 "contact": contact_view(rows[o.interaction_id], masking, lists) if o.interaction_id in rows
                 else None,
                 "transfer": transfers.get(o.interaction_id) if o.kind == "transfer" else None,
                 "expires_at": iso(o.deadline), "expires_in": max(0, round(o.deadline - now))}
                for o in view.offers]

    async def accept(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """First accept wins; a loser gets Conflict 'taken' naming the winner. An agent already holding the
        admin's tab limit of open conversations is refused by the desk (SPEC D4)."""
        most_open = self._most_open()
        return await self._on_offer(principal, interaction_id,
                                    lambda reply: mail.Accept(interaction_id, reply, most_open))

    def _most_open(self) -> int:
        return int(self.settings.get("max_tabs"))

    @staticmethod
    async def display_name(username: str) -> str:
        """How notices name a colleague: their full name, else their username."""
        found = cast(list[str], await User.filter(username=username).values_list("full_name", flat=True))
        return found[0] if found and found[0] else username

    async def waiting(self, principal: Principal, limit: int = WAITING_SHOWN) -> tuple[list[dict[str, Any]], int]:
        """The conversations waiting in the agent's queues, longest waiting first (the first `limit`, and how many
        wait in all), each with its customer (as this viewer may see them), queue, wait and whether it is offered
        to this agent now (SPEC R3, D2)."""
        view = await self.desk_view(principal)
        if view is None:
            return [], 0
        now = time.time()
        offered = {o.interaction_id for o in view.offers}
        waiting: list[tuple[float, int, str]] = []
        for name in view.queues:
            ref = self.system.queue(name)
            queue: QueueView | None = await ask(ref, mail.Snapshot) if ref is not None else None
            if queue is not None:
                waiting.extend((since, interaction_id, name) for interaction_id, since in queue.waiting_since.items())
        waiting.sort()
        total, waiting = len(waiting), waiting[:limit]
        rows = await queries.interaction_rows([interaction_id for _, interaction_id, _ in waiting])
        masking = masking_for(principal.role, self.settings.get("masking"))
        lists = await list_rights.list_ids(principal, "view") if any(r["contact_id"] for r in rows.values()) \
            else None
        return [{"interaction_id": interaction_id, "queue": queue_name, "contact": contact_view(rows[interaction_id],
                                                                                              masking, lists),
                 "waiting_since": iso(since), "waited_seconds": max(0, round(now - since)),
                 "offered_to_me": interaction_id in offered}
                for since, interaction_id, queue_name in waiting if interaction_id in rows], total

    async def take(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """Take a conversation waiting in one of the agent's queues: the first to take or accept it wins, as for
        an offer; a rejection or timeout before does not bar the agent (the re-offer delay is for offers)."""
        rows = await queries.interaction_rows([interaction_id])
        if not rows:
            raise NotFound(f"There is no interaction {interaction_id}.")
        row = rows[interaction_id]
        if row["status"] != "open":
            raise Conflict("This conversation is closed.", code="closed")
        if row["owner__username"] is not None:
            raise await self._named(Taken(row["owner__username"]))
        try:
            return await ask(self._desk(principal),
                             lambda reply: mail.Take(interaction_id, row["queue__name"], reply, self._most_open()))
        except Taken as error:
            raise await self._named(error) from None

    async def reject(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        return await self._on_offer(principal, interaction_id, lambda reply: mail.Reject(interaction_id, reply))

    async def _named(self, taken: Taken) -> Taken:
        """The refusal naming the winner as people know them."""
        return Taken(taken.winner, await self.display_name(taken.winner)) if taken.winner else taken

    async def _on_offer(self, principal: Principal, interaction_id: int,
                        request: Callable[[Any], Any]) -> dict[str, Any]:
        try:
            return await ask(self._desk(principal), request)
        except Taken as error:
            raise await self._named(error) from None
        except Forbidden:
            if not await queries.interaction_rows([interaction_id]):
                raise NotFound(f"There is no interaction {interaction_id}.") from None
            raise
