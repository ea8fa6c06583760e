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


class Invalid(ProductError):
    status, code = 422, "invalid"


class Unavailable(ProductError):
    """The server cannot take the work now (shutting down, an actor did not answer in time)."""

    status, code = 503, "unavailable"


class ProviderError(ProductError):
    """A provider's API refused or failed a request made for the user (a bad gateway, from our side)."""

    status, code = 502, "provider_error"
