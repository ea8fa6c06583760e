"""Sending running campaigns (SPEC T5): one task per running campaign writes its recipients' messages at
the campaign's rate and hands them to the outbox.

The pace is an even schedule (the n-th message due n / rate seconds after the run began); messages that
fell due together are written in one transaction. A campaign finishes when no recipient is pending and
the provider has answered for every message. Paused, cancelled or stopped: the task ends, and whatever it
had written is sent by the outbox anyway. After a restart, running campaigns go on from their pending
recipients (the outbox resumes their queued messages).
"""
from __future__ import annotations

import asyncio
import logging
from typing import cast

from server.actors.hub import EventHub
from server.connectors.outbox import Outbox
from server.domain.campaigns import Pace
from server.domain.events import CampaignProgress
from server.persistence import campaign_queries
from server.persistence.campaign_writes import Queued, QueueCampaignMessages
from server.persistence.models import Campaign
from server.persistence.writer import Writer
from server.persistence.writes import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 50
PROGRESS_EVERY = 0.5  # seconds between two CampaignProgress events of one campaign


class CampaignRunner:
    def __init__(self, writer: Writer, outbox: Outbox, hub: EventHub) -> None:
        self.writer, self.outbox, self.hub = writer, outbox, hub
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._shown: dict[int, tuple[str, dict[str, int]]] = {}  # what watchers were told last

    async def resume(self) -> None:
        """Go on with the campaigns that were running when the server stopped."""
        for campaign_id in cast(list[int], await Campaign.filter(state="running").order_by("id").values_list(
                "id", flat=True)):
            self.run(campaign_id)

    def run(self, campaign_id: int) -> None:
        if campaign_id not in self._runs:
            task = asyncio.create_task(self._drive(campaign_id), name=f"campaign-{campaign_id}")
            self._runs[campaign_id] = task
            task.add_done_callback(lambda _: self._runs.pop(campaign_id, None))

    def running(self, campaign_id: int) -> bool:
        return campaign_id in self._runs

    async def halt(self, campaign_id: int) -> None:
        """End the campaign's task (its state was changed already); written messages still go out."""
        task = self._runs.get(campaign_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.publish(campaign_id)

    async def stop(self) -> None:
        for campaign_id in list(self._runs):
            task = self._runs[campaign_id]
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def publish(self, campaign_id: int) -> None:
        """Tell watchers the campaign's state and totals, if they changed since they were last told."""
        state = cast(str | None, await Campaign.filter(id=campaign_id).first().values_list("state", flat=True))
        if state is None:
            return
        counts = (await campaign_queries.totals([campaign_id]))[campaign_id]
        if self._shown.get(campaign_id) != (state, counts):
            self._shown[campaign_id] = (state, counts)
            self.hub.publish(CampaignProgress(campaign_id, state, counts))

    async def _drive(self, campaign_id: int) -> None:
        try:
            if await self._send_all(campaign_id):
                await self._drain(campaign_id)
                await Campaign.filter(id=campaign_id, state="running").update(state="finished",
                                                                               finished_at=utcnow())
            await self.publish(campaign_id)
            self._shown.pop(campaign_id, None)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not lose recipients: they stay pending for the next start
            log.exception("campaign %s stopped unexpectedly", campaign_id)

    async def _send_all(self, campaign_id: int) -> bool:
        """Write every pending recipient's message at the campaign's pace; False if it stopped running."""
        loop = asyncio.get_running_loop()
        rate = cast(float | None, await Campaign.filter(id=campaign_id).first().values_list("rate", flat=True))
        if rate is None:
            return False
        pace = Pace(float(rate), loop.time())
        published = loop.time()
        while True:
            due = min(pace.due(loop.time()), MAX_BATCH)
            if due:
                done: Queued = await self.writer.submit(QueueCampaignMessages(campaign_id, due, self._hand_over))
                if not done.running:
                    return False
                pace.release(due)
                if not done.more:
                    return True
            if loop.time() - published >= PROGRESS_EVERY:
                published = loop.time()
                await self.publish(campaign_id)
            await asyncio.sleep(min(pace.wait(loop.time()), PROGRESS_EVERY))

    async def _drain(self, campaign_id: int) -> None:
        """Wait until the provider answered for every message of the campaign, telling watchers meanwhile."""
        while await campaign_queries.in_flight(campaign_id):
            await self.publish(campaign_id)
            await asyncio.sleep(PROGRESS_EVERY)

    def _hand_over(self, done: Queued) -> None:
        for message_id, interaction_id in done.messages:
            self.outbox.enqueue(message_id, interaction_id, once=True)
