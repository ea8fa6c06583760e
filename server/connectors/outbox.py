"""The outbox: every outbound message is stored as queued first, then sent here, off the request path.

Messages of one interaction go out in the order they were written. A timeout, 5xx or 429 is retried
after a growing delay (or the provider's Retry-After, when longer); a refusal that will never succeed,
or the last retry, marks the message failed with the provider's reason. Whatever is still queued when
the server stops is sent after the next start - except a send-once message (a campaign's) whose first
attempt had begun: it may have reached the provider, so it fails with that reason instead of going twice.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from server.actors.hub import EventHub
from server.connectors.background import Background
from server.connectors.sending import OutboundFile, OutboundTemplate, Outgoing, SendFailed, Senders, with_retries
from server.domain.events import MessageStatusChanged
from server.errors import Unavailable
from server.persistence.files import MediaFiles
from server.persistence.campaign_writes import ClaimSend
from server.persistence.models import Account, Attachment, Message, SendOnce
from server.persistence.writer import Writer
from server.persistence.writes import StoreSendResult

log = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
INTERRUPTED = ("The server stopped while this message was being sent; it was not sent again, so that the "
               "customer is not written twice.")


SENDS_AT_ONCE = 32  # messages on their way to providers at one time


class Outbox:
    def __init__(self, writer: Writer, senders: Senders, hub: EventHub, files: MediaFiles, public_url: str,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, concurrency: int = SENDS_AT_ONCE) -> None:
        self.writer, self.senders, self.hub = writer, senders, hub
        self.files, self.public_url = files, public_url
        self.retry_delays = retry_delays
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)  # per interaction: in order
        self._in_lane: dict[int, int] = defaultdict(int)  # messages using each lane, to drop idle lanes
        self._work = Background()

    async def resume(self) -> None:
        """Send what was still queued when the server last stopped, oldest first."""
        queued = await Message.filter(direction="out", status="queued").order_by("id").values_list(
            "id", "interaction_id")
        once = dict(await SendOnce.filter(message_id__in=[m for m, _ in queued]).values_list("message_id", "started"))
        for message_id, interaction_id in queued:
            if once.get(message_id):
                await self._finish(message_id, "failed", error=INTERRUPTED)
            else:
                self.enqueue(message_id, interaction_id, once=message_id in once)

    def enqueue(self, message_id: int, interaction_id: int, *, once: bool = False) -> None:
        """`once`: a send-once message (SendOnce), marked started before its first attempt."""
        self._in_lane[interaction_id] += 1
        self._work.spawn(self._deliver(message_id, interaction_id, once), f"send-{message_id}")

    async def stop(self) -> None:
        """Stop sending; unsent messages stay queued in the database for the next start."""
        await self._work.stop()

    async def _deliver(self, message_id: int, interaction_id: int, once: bool) -> None:
        try:
            async with self._lanes[interaction_id]:
                await self._send_with_retries(message_id, once)
        except Exception:  # a bug must not lose the message: it stays queued for the next start
            log.exception("sending message %s failed unexpectedly", message_id)
        finally:
            self._in_lane[interaction_id] -= 1
            if not self._in_lane[interaction_id]:
                del self._in_lane[interaction_id]
                self._lanes.pop(interaction_id, None)

    async def _send_with_retries(self, message_id: int, once: bool) -> None:
        row = await Message.filter(id=message_id, status="queued").first().values(
            "text", "template", "interaction__customer_phone", "interaction__account_id")
        if row is None:
            return  # already sent or failed
        if once and not await self.writer.submit(ClaimSend(message_id)):
            await self._finish(message_id, "failed", error=INTERRUPTED)
            return
        account = await Account.get(id=row["interaction__account_id"])
        try:
            outgoing = await self._outgoing(message_id, row)
            sender = self.senders.for_provider(account.provider)

            async def attempt() -> str:
                async with self._slots:
                    return await sender.send(account, outgoing)

            provider_id = await with_retries(attempt, self.retry_delays, f"message {message_id}")
        except Unavailable as error:
            await self._finish(message_id, "failed", error=error.message)
        except SendFailed as failure:
            await self._finish(message_id, "failed", error=failure.reason)
        else:
            await self._finish(message_id, "sent", external_key=f"{account.id}:{provider_id}")

    async def _outgoing(self, message_id: int, row: dict[str, Any]) -> Outgoing:
        template = row["template"]
        if template is not None:
            return Outgoing(row["interaction__customer_phone"], row["text"], template=OutboundTemplate(
                template["name"], template["language"], list(template["variables"]), template.get("provider_id", "")))
        attachment = await Attachment.get_or_none(message_id=message_id)
        if attachment is None:
            return Outgoing(row["interaction__customer_phone"], row["text"])
        if attachment.sha256 is None:
            raise SendFailed("The attachment was not stored.", retryable=False)
        path = self.files.path_of(attachment.sha256)
        try:  # uploaded by us or downloaded by the provider: either way it must be there, or it never will be
            with open(path, "rb"):
                pass
        except OSError:
            raise SendFailed("The attachment's file is missing.", retryable=False) from None
        link = f"{self.public_url}/media/{attachment.id}/{self.files.link_token(attachment.id)}"
        return Outgoing(row["interaction__customer_phone"], row["text"], file=OutboundFile(
            path, attachment.content_type, attachment.filename, attachment.size or 0, link))

    async def _finish(self, message_id: int, status: str, *, external_key: str | None = None,
                      error: str | None = None) -> None:
        interaction_id = await self.writer.submit(StoreSendResult(message_id, status, external_key, error))
        if interaction_id is not None:
            self.hub.publish(MessageStatusChanged(interaction_id, message_id, status))
