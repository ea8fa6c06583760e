"""The outbox: every outbound message is stored as queued first, then sent here, off the request path.

Messages of one interaction go out in the order they were written. A timeout, 5xx or 429 is retried
after a growing delay (or the provider's Retry-After, when longer); a refusal that will never succeed,
or the last retry, marks the message failed with the provider's reason. Whatever is still queued when
the server stops is sent after the next start.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from server.actors.events import EventHub, MessageStatusChanged
from server.connectors.sending import SendFailed, Senders
from server.errors import Unavailable
from server.persistence.models import Account, Message
from server.persistence.writer import Writer
from server.persistence.writes import StoreSendResult

log = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class Outbox:
    def __init__(self, writer: Writer, senders: Senders, hub: EventHub,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, concurrency: int = 32) -> None:
        self.writer, self.senders, self.hub = writer, senders, hub
        self.retry_delays = retry_delays
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)  # per interaction: in order
        self._in_lane: dict[int, int] = defaultdict(int)  # messages using each lane, to drop idle lanes
        self._tasks: set[asyncio.Task[None]] = set()

    async def resume(self) -> None:
        """Send what was still queued when the server last stopped, oldest first."""
        for message_id, interaction_id in await Message.filter(direction="out", status="queued").order_by(
                "id").values_list("id", "interaction_id"):
            self.enqueue(message_id, interaction_id)

    def enqueue(self, message_id: int, interaction_id: int) -> None:
        self._in_lane[interaction_id] += 1
        task = asyncio.create_task(self._deliver(message_id, interaction_id), name=f"send-{message_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop sending; unsent messages stay queued in the database for the next start."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, message_id: int, interaction_id: int) -> None:
        try:
            async with self._lanes[interaction_id]:
                await self._send_with_retries(message_id)
        except Exception:  # a bug must not lose the message: it stays queued for the next start
            log.exception("sending message %s failed unexpectedly", message_id)
        finally:
            self._in_lane[interaction_id] -= 1
            if not self._in_lane[interaction_id]:
                del self._in_lane[interaction_id]
                self._lanes.pop(interaction_id, None)

    async def _send_with_retries(self, message_id: int) -> None:
        row = await Message.filter(id=message_id, status="queued").first().values(
            "text", "interaction__customer_phone", "interaction__account_id", "interaction_id")
        if row is None:
            return  # already sent or failed
        account = await Account.get(id=row["interaction__account_id"])
        for attempt in range(len(self.retry_delays) + 1):
            try:
                async with self._slots:
                    sender = self.senders.for_provider(account.provider)
                    provider_id = await sender.send_text(account, row["interaction__customer_phone"], row["text"])
            except Unavailable as error:
                await self._finish(message_id, "failed", error=error.message)
                return
            except SendFailed as failure:
                if not failure.retryable or attempt == len(self.retry_delays):
                    await self._finish(message_id, "failed", error=failure.reason)
                    return
                delay = max(self.retry_delays[attempt], failure.retry_after or 0.0)
                log.info("message %s: %s; retrying in %.1f s", message_id, failure.reason, delay)
                await asyncio.sleep(delay)
                continue
            await self._finish(message_id, "sent", external_key=f"{account.id}:{provider_id}")
            return

    async def _finish(self, message_id: int, status: str, *, external_key: str | None = None,
                      error: str | None = None) -> None:
        interaction_id = await self.writer.submit(StoreSendResult(message_id, status, external_key, error))
        if interaction_id is not None:
            self.hub.publish(MessageStatusChanged(interaction_id, message_id, status))
