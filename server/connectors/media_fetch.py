"""Inbound media: after a media message is stored (and acknowledged), its file is downloaded from the
provider off the request path and kept under the data dir with its type, size and sha256.

A timeout, 5xx or 429 is retried with backoff; a refusal, or a file larger than WhatsApp carries, marks
the attachment failed with the reason. Whatever is still pending when the server stops is fetched after
the next start.

The URL comes from the provider's payload, so it is checked before each request and each redirect hop
(followed here, at most MAX_REDIRECTS): only http(s), and never a host that resolves to a loopback,
private, link-local, multicast, reserved or unspecified address, unless it is the account's own API
(host and port of its api_base_url). A redirect to another origin goes without the Authorization header.
The stored type is the declared one only when it is a WhatsApp media type; anything else (an SVG, HTML
page, ...) is kept as application/octet-stream, so it is never rendered as what it claims to be.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Mapping
from typing import Protocol, cast

import httpx

from server.actors.hub import EventHub
from server.connectors.background import Background
from server.connectors.media_rules import LARGEST_INBOUND, WHATSAPP_MEDIA, content_type_of
from server.connectors.sending import SendFailed, refused, with_retries
from server.domain.events import AttachmentChanged
from server.persistence.files import MediaFiles, StoredFile
from server.persistence.models import Account, Attachment
from server.persistence.writer import Writer
from server.persistence.writes import StoreFetchedMedia

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}


class MediaLocator(Protocol):
    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """The request that downloads a media file the provider named `ref` (an id or a URL)."""
        ...


class MediaFetcher:
    def __init__(self, client: httpx.AsyncClient, writer: Writer, hub: EventHub, files: MediaFiles,
                 locators: Mapping[str, MediaLocator], retry_delays: tuple[float, ...], concurrency: int = 8) -> None:
        self.client, self.writer, self.hub, self.files = client, writer, hub, files
        self.locators, self.retry_delays = locators, retry_delays
        self._slots = asyncio.Semaphore(concurrency)
        self._work = Background()

    async def resume(self) -> None:
        for attachment_id in cast(list[int], await Attachment.filter(state="pending").order_by("id").values_list(
                "id", flat=True)):
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
            kind = WHATSAPP_MEDIA.get(content_type, ("document", 0))[0]
            await self._finish(StoreFetchedMedia(attachment_id, "stored", content_type, stored.size, stored.sha256,
                                                 kind=kind))

    async def _download(self, locator: MediaLocator, account: Account,
                        attachment: Attachment) -> tuple[StoredFile, str]:
        try:
            request = await locator.locate_media(account, attachment.ref)
        except httpx.InvalidURL:
            raise SendFailed("The provider gave an invalid link to the file.", retryable=False) from None
        response = await self._open(request, account)
        try:
            if response.status_code != 200:
                raise refused(response, f"The provider refused the file (HTTP {response.status_code}).")
            too_big = SendFailed(f"The file is larger than {LARGEST_INBOUND // 2**20} MB.", retryable=False)
            if int(response.headers.get("content-length") or 0) > LARGEST_INBOUND:
                raise too_big
            content_type = content_type_of(attachment.content_type or response.headers.get("content-type", ""),
                                           attachment.filename)
            if content_type not in WHATSAPP_MEDIA:  # e.g. image/svg+xml or text/html: never shown as such
                content_type = "application/octet-stream"
            try:
                stored = await self.files.write(response.aiter_bytes(), LARGEST_INBOUND, lambda: too_big)
            except httpx.HTTPError as error:
                raise SendFailed(f"The download broke off: {type(error).__name__}.", retryable=True) from None
            return stored, content_type
        finally:
            await response.aclose()

    async def _open(self, request: httpx.Request, account: Account) -> httpx.Response:
        """Send `request` (streamed), following redirects here, each hop's URL checked first."""
        try:
            own = _host_and_port(httpx.URL(account.api_base_url)) if account.api_base_url else None
        except httpx.InvalidURL:
            own = None
        for _ in range(MAX_REDIRECTS + 1):
            await check_destination(request.url, own)
            try:
                response = await self.client.send(request, stream=True, follow_redirects=False)
            except httpx.TimeoutException:
                raise SendFailed("The provider did not send the file in time.", retryable=True) from None
            except httpx.HTTPError as error:
                raise SendFailed(f"Could not download the file: {type(error).__name__}.", retryable=True) from None
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return response
            await response.aclose()
            request = redirected(request, location)
        raise SendFailed(f"The link to the file redirects more than {MAX_REDIRECTS} times.", retryable=False)

    async def _finish(self, op: StoreFetchedMedia) -> None:
        where = await self.writer.submit(op)
        if where is not None:
            self.hub.publish(AttachmentChanged(where[0], where[1], op.state))


def redirected(request: httpx.Request, location: str) -> httpx.Request:
    """The GET a redirect leads to: the same headers, but the credentials only to the same origin."""
    try:
        url = request.url.join(location)
    except httpx.InvalidURL:
        raise SendFailed("The provider redirected to an invalid link.", retryable=False) from None
    same_origin = _origin(url) == _origin(request.url)
    headers = {name: value for name, value in request.headers.items()
               if name.lower() not in ("host", "content-length", "cookie")
               and (same_origin or name.lower() != "authorization")}
    return httpx.Request("GET", url, headers=headers)


async def check_destination(url: httpx.URL, own: tuple[str, int | None] | None) -> None:
    """Refuse (a final SendFailed) a URL that is not http(s), or whose host resolves to an address of this
    machine or its networks, unless it is the account's own API host and port (`own`)."""
    if url.scheme not in DEFAULT_PORTS or not url.host:
        raise SendFailed("The link to the file is not an http(s) URL.", retryable=False)
    if own is not None and _host_and_port(url) == own:
        return
    try:
        found = await asyncio.to_thread(socket.getaddrinfo, url.raw_host.decode("ascii"), _host_and_port(url)[1],
                                        type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SendFailed(f"Could not resolve the file's host {url.host}.", retryable=True) from None
    for *_, address in found:
        if _internal(str(address[0])):
            raise SendFailed(f"The link to the file points to an internal address ({url.host}); it was not "
                             "fetched.", retryable=False)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def _host_and_port(url: httpx.URL) -> tuple[str, int | None]:
    return url.host.lower(), url.port or DEFAULT_PORTS.get(url.scheme)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, *_host_and_port(url))
