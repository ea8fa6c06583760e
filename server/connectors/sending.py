"""The small interface every provider's sender implements, what it is asked to send, and which sender
serves which provider."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from server.errors import Unavailable
from server.persistence.models import Account

log = logging.getLogger(__name__)
T = TypeVar("T")


class SendFailed(Exception):
    """The provider did not take the message. `retryable`: a timeout, 5xx or 429 (maybe with Retry-After)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.retry_after = reason, retryable, retry_after


@dataclass(frozen=True)
class OutboundFile:
    """A stored attachment: `link` is a URL the provider can download it from (signed, on our server)."""

    path: Path
    content_type: str
    filename: str
    size: int
    link: str

    @property
    def kind(self) -> str:
        """WhatsApp's media type for this file: image, audio, video, sticker or document."""
        major = self.content_type.split("/")[0]
        if self.content_type == "image/webp":
            return "sticker"
        return major if major in ("image", "audio", "video") else "document"


@dataclass(frozen=True)
class OutboundTemplate:
    name: str
    language: str
    variables: list[str] = field(default_factory=list)
    provider_id: str = ""  # the provider's own id of the approved template (Twilio content SID, ...)


@dataclass(frozen=True)
class Outgoing:
    """One outbound message: a text, a file with an optional caption (`text`), or a template (`text` is its
    rendered body, as the agent sees it)."""

    to: str  # E.164
    text: str = ""
    file: OutboundFile | None = None
    template: OutboundTemplate | None = None


class Sender(Protocol):
    async def send(self, account: Account, message: Outgoing) -> str:
        """Hand a message to the provider; returns the provider's message id, or raises SendFailed."""
        ...


class SandboxSender:
    """The sandbox has no network: the stored message is what the customer simulator reads."""

    async def send(self, account: Account, message: Outgoing) -> str:
        return f"sandbox-{uuid.uuid4().hex}"


class Senders:
    def __init__(self, senders: dict[str, Sender]) -> None:
        self._senders = senders

    def for_provider(self, provider: str) -> Sender:
        sender = self._senders.get(provider)
        if sender is None:
            raise Unavailable(f"Sending through {provider} accounts is not set up on this server.",
                              code="provider_unavailable")
        return sender


async def request(client: httpx.AsyncClient, provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One call to a provider's API; a timeout or a network failure is a retryable SendFailed."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise SendFailed(f"{provider} did not answer in time.", retryable=True) from None
    except httpx.HTTPError as error:
        raise SendFailed(f"Could not reach {provider}: {type(error).__name__}.", retryable=True) from None


async def with_retries(call: Callable[[], Awaitable[T]], delays: tuple[float, ...], what: str) -> T:
    """Run `call`, retrying a retryable SendFailed after each delay in turn (or the provider's Retry-After,
    when longer); a final failure, or the last one, is raised."""
    for delay in delays:
        try:
            return await call()
        except SendFailed as failure:
            if not failure.retryable:
                raise
            wait = max(delay, failure.retry_after or 0.0)
            log.info("%s: %s; retrying in %.1f s", what, failure.reason, wait)
            await asyncio.sleep(wait)
    return await call()


def refused(response: httpx.Response, reason: str) -> SendFailed:
    """The failure for a refusal: a 429 or 5xx is retried (after Retry-After, when given); others are final."""
    if response.status_code == 429 or response.status_code >= 500:
        return SendFailed(reason, retryable=True, retry_after=_retry_after(response))
    return SendFailed(reason, retryable=False)


def answer_field(response: httpx.Response, provider: str, *path: str | int) -> str:
    """A field of a JSON answer (e.g. the new message's id); its absence is a final failure."""
    try:
        value: Any = response.json()
        for step in path:
            value = value[step]
    except (ValueError, KeyError, IndexError, TypeError):
        raise SendFailed(f"{provider}'s answer had no {'.'.join(map(str, path))}.", retryable=False) from None
    return str(value)


def json_error(response: httpx.Response, *path: str) -> dict[str, Any]:
    """The error object of a provider's JSON answer (at `path`), or {} when there is none."""
    try:
        value: Any = response.json()
        for step in path:
            value = value.get(step) or {}
    except (ValueError, AttributeError):
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None
