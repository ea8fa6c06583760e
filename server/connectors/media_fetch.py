"""Inbound media: after a media message is stored (and acknowledged), its file is downloaded from the
provider off the request path and kept under the data dir with its type, size and sha256.

A timeout, 5xx or 429 is retried with backoff; a refusal, or a file larger than WhatsApp carries, marks
the attachment failed with the reason. Whatever is still pending when the server stops is fetched after
the next start.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import httpx

from server.actors.events import AttachmentChanged, EventHub
from server.connectors.background import Background
from server.connectors.media_rules import LARGEST_INBOUND, content_type_of
from server.connectors.sending import SendFailed, refused, with_retries
from server.persistence.files import MediaFiles, StoredFile
from server.persistence.models import Account, Attachment
from server.persistence.writer import Writer
from server.persistence.writes import StoreFetchedMedia

log = logging.getLogger(__name__)


class MediaLocator(Protocol):
    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """The request that downloads a media file the provider named `ref` (an id or a URL)."""
        ...


class MediaFetcher:
    def __init__(self, client: httpx.AsyncClient, writer: Writer, hub: EventHub, files: MediaFiles,
                 locators: dict[str, MediaLocator], retry_delays: tuple[float, ...], concurrency: int = 8) -> None:
        self.client, self.writer, self.hub, self.files = client, writer, hub, files
        self.locators, self.retry_delays = locators, retry_delays
        self._slots = asyncio.Semaphore(concurrency)
        self._work = Background()

    async def resume(self) -> None:
        for attachment_id in await Attachment.filter(state="pending").order_by("id").values_list("id", flat=True):
            self.enqueue(attachment_id)

    def enqueue(self, attachment_id: int) -> None:
        self._work.spawn(self._fetch(attachment_id), f"media-{attachment_id}")

    async def stop(self) -> None:
        await self._work.stop()

    async def _fetch(self, attachment_id: int) -> None:
        try:
            attachment = await Attachment.get_or_none(id=attachment_id, state="pending").select_related(
                "message__interaction__account")
            if attachment is None:
                return
            account = attachment.message.interaction.account
            locator = self.locators.get(account.provider)
            if locator is None:
                await self._finish(StoreFetchedMedia(attachment_id, "failed",
                                                     error=f"Media from {account.provider} cannot be fetched."))
                return

            async def attempt() -> tuple[StoredFile, str]:
                async with self._slots:
                    return await self._download(locator, account, attachment)

            stored, content_type = await with_retries(attempt, self.retry_delays, f"media {attachment_id}")
        except SendFailed as failure:
            await self._finish(StoreFetchedMedia(attachment_id, "failed", error=failure.reason))
        except Exception:  # a bug must not lose the file: it stays pending for the next start
            log.exception("fetching attachment %s failed unexpectedly", attachment_id)
        else:
            await self._finish(StoreFetchedMedia(attachment_id, "stored", content_type, stored.size, stored.sha256))

    async def _download(self, locator: MediaLocator, account: Account,
                        attachment: Attachment) -> tuple[StoredFile, str]:
        request = await locator.locate_media(account, attachment.ref)
        try:
            response = await self.client.send(request, stream=True, follow_redirects=True)
        except httpx.TimeoutException:
            raise SendFailed("The provider did not send the file in time.", retryable=True) from None
        except httpx.HTTPError as error:
            raise SendFailed(f"Could not download the file: {type(error).__name__}.", retryable=True) from None
        try:
            if response.status_code != 200:
                raise refused(response, f"The provider refused the file (HTTP {response.status_code}).")
            too_big = SendFailed(f"The file is larger than {LARGEST_INBOUND // 2**20} MB.", retryable=False)
            if int(response.headers.get("content-length") or 0) > LARGEST_INBOUND:
                raise too_big
            content_type = attachment.content_type or content_type_of(response.headers.get("content-type", ""),
                                                                      attachment.filename)
            try:
                stored = await self.files.write(response.aiter_bytes(), LARGEST_INBOUND, lambda: too_big)
            except httpx.HTTPError as error:
                raise SendFailed(f"The download broke off: {type(error).__name__}.", retryable=True) from None
            return stored, content_type
        finally:
            await response.aclose()

    async def _finish(self, op: StoreFetchedMedia) -> None:
        where = await self.writer.submit(op)
        if where is not None:
            self.hub.publish(AttachmentChanged(where[0], where[1], op.state))
