"""The product's one error hierarchy; mapped once to HTTP statuses (api) and once to UI notices."""
from __future__ import annotations


class ProductError(Exception):
    """Base of every error a user may see. `code` is stable; `message` is for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Unauthorized(ProductError):
    status, code = 401, "unauthorized"


class Forbidden(ProductError):
    status, code = 403, "forbidden"


class NotFound(ProductError):
    status, code = 404, "not_found"


class Conflict(ProductError):
    status, code = 409, "conflict"


class Taken(Conflict):
    """Someone else won the conversation first; `winner` is their username (None when not known)."""

    code = "taken"

    def __init__(self, winner: str | None, shown_as: str | None = None) -> None:
        who = f"{shown_as} ({winner})" if shown_as and shown_as != winner else winner
        super().__init__(f"Already taken by {who}." if who else "Already taken.")
        self.winner = winner


class Invalid(ProductError):
    """Bad input; `field` names the input it concerns, when one does (a form shows the message beside it)."""

    status, code = 422, "invalid"

    def __init__(self, message: str, code: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message, code)
        self.field = field


class Unavailable(ProductError):
    """The server cannot take the work now (shutting down, an actor did not answer in time)."""

    status, code = 503, "unavailable"


class Throttled(ProductError):
    """Too many attempts: the next may succeed after `retry_after` seconds (HTTP: the Retry-After header)."""

    status, code = 429, "too_many_attempts"

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class Busy(Throttled):
    """Too much of this work is under way or waiting on the server; a retry after `retry_after` may pass."""

    status, code = 503, "busy"


class ProviderError(ProductError):
    """A provider's API refused or failed a request made for the user (a bad gateway, from our side)."""

    status, code = 502, "provider_error"
