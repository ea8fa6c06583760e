"""The interactions list's filters as users give them (text from a form or a query string), checked once
for the API and the pages alike."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from server.errors import Invalid
from server.persistence.queries import InteractionFilter
from server.services.paging import check_paging


def build_filter(*, status: str | None = None, unread: bool | None = None, account: str | None = None,
                 agent: str | None = None, tags: list[str] | tuple[str, ...] = (), created_from: str | None = None,
                 created_to: str | None = None, q: str | None = None, name: str | None = None,
                 phone: str | None = None, message: str | None = None, page: int = 1,
                 page_size: int = 25) -> InteractionFilter:
    """`q` is the quick search (any of name, phone, message text); `name`, `phone` and `message` the
    advanced one (each given must match)."""
    if status not in (None, "", "open", "closed"):
        raise Invalid("status must be open or closed.")
    check_paging(page, page_size)
    return InteractionFilter(status=status or None, unread=unread, account=account or None, agent=agent or None,
                             tags=tuple(tags), created_from=query_moment(created_from, "from"),
                             created_to=query_moment(created_to, "to", end=True), text=_given(q), name=_given(name),
                             phone=_given(phone), message=_given(message), page=page, page_size=page_size)


def _given(value: str | None) -> str | None:
    return (value or "").strip()[:200] or None


def query_moment(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A query parameter's ISO date or date-time (UTC unless it says otherwise); a bare `to` date (`end`)
    includes that whole day."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), timezone.utc)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an ISO date (YYYY-MM-DD) or date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
