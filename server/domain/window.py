"""WhatsApp's customer service window (SPEC T1): free-form messages only within a number of hours of
the customer's last inbound message, for the providers that enforce it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

ENFORCED_HOURS = {"meta": 24, "kaleyra": 24}
NEVER_OPENED = datetime(1970, 1, 1, tzinfo=timezone.utc)


def window_closes_at(provider: str, window_hours: int | None, last_inbound_at: datetime | None) -> datetime | None:
    """When free text stops being allowed; None when no window applies. `window_hours` is the account's
    own rule (0: none), None for the provider's."""
    hours = ENFORCED_HOURS.get(provider, 0) if window_hours is None else window_hours
    if not hours:
        return None
    if last_inbound_at is None:  # the customer never wrote: the window never opened
        return NEVER_OPENED
    return last_inbound_at + timedelta(hours=hours)


def window_open(closes_at: datetime | None, now: datetime) -> bool:
    return closes_at is None or now < closes_at


def window_closed_reason(provider: str, window_hours: int | None, last_inbound_at: datetime | None) -> str:
    """Why free text is refused, for the person who tried."""
    hours = ENFORCED_HOURS.get(provider, 0) if window_hours is None else window_hours
    if last_inbound_at is None:
        return "The customer has not written in this conversation yet: only a template can be sent."
    return f"The customer has not written in the last {hours} hours: only a template can be sent now."
