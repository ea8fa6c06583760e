"""Outbound campaigns (SPEC T5) as plain rules: what fills a template's variables for a contact, who is
skipped and why, which state changes are allowed, and the pace of sending."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import phonenumbers

from server.domain.templates import MAX_VARIABLE
from server.errors import Conflict, Invalid

CONTACT_FIELDS = ("first_name", "last_name", "company", "email")
FIELD, TEXT = "field:", "text:"  # a custom field of the list, a fixed text
MIN_RATE, MAX_RATE = 0.1, 80.0  # messages per second; 80: a WhatsApp number's standard throughput

# state -> (action -> new state)
TRANSITIONS = {"draft": {"start": "running", "cancel": "cancelled"},
               "running": {"pause": "paused", "cancel": "cancelled"},
               "paused": {"resume": "running", "cancel": "cancelled"}}


def next_state(state: str, action: str) -> str:
    """The state after `action`; Conflict when the campaign cannot do it now."""
    following = TRANSITIONS.get(state, {}).get(action)
    if following is None:
        raise Conflict(f"A {state} campaign cannot {action}.", code="campaign_state")
    return following


def check_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_RATE <= value <= MAX_RATE:
        raise Invalid(f"rate must be from {MIN_RATE} to {MAX_RATE:g} messages per second.")
    return float(value)


def check_mapping(mapping: Any, count: int, custom_fields: Iterable[str]) -> list[str]:
    """One source per template variable, in order: a contact field, `field:<custom field of the list>` or
    `text:<fixed text>`."""
    if not isinstance(mapping, list) or not all(isinstance(m, str) for m in mapping):
        raise Invalid("variables must be a list with one source per template variable.")
    if len(mapping) != count:
        raise Invalid(f"This template takes {count} variable(s); {len(mapping)} mapped.")
    known = set(custom_fields)
    for n, source in enumerate(mapping, 1):
        if source in CONTACT_FIELDS:
            continue
        if source.startswith(FIELD):
            if source.removeprefix(FIELD) not in known:
                raise Invalid(f"{{{{{n}}}}}: the list has no field {source.removeprefix(FIELD)!r}.")
        elif source.startswith(TEXT):
            text = source.removeprefix(TEXT)
            if not text.strip() or len(text) > MAX_VARIABLE or "\n" in text:
                raise Invalid(f"{{{{{n}}}}}: a fixed text must be one line of 1 to {MAX_VARIABLE} characters.")
        else:
            raise Invalid(f"{{{{{n}}}}}: {source!r} is not a contact field, field:<name> or text:<words>.")
    return mapping


def values_for(mapping: list[str], contact: dict[str, Any]) -> tuple[list[str], str]:
    """The template's values for a contact (a dict of its fields, custom ones under "field_values"), or the
    reason it must be skipped."""
    values = []
    for n, source in enumerate(mapping, 1):
        if source.startswith(TEXT):
            value = source.removeprefix(TEXT)
        elif source.startswith(FIELD):
            value = str((contact.get("field_values") or {}).get(source.removeprefix(FIELD)) or "")
        else:
            value = str(contact.get(source) or "")
        value = " ".join(value.split())[:MAX_VARIABLE]
        if not value:
            return [], f"No value for {{{{{n}}}}} ({source})."
        values.append(value)
    return values, ""


def phone_problem(phone: str | None) -> str:
    """Why a stored number cannot receive WhatsApp messages ("" when it can)."""
    if not phone:
        return "The contact has no phone number."
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        valid = False
    return "" if valid else f"{phone} is not a valid phone number."


class Pace:
    """An even schedule: the n-th message of a run is due `n / rate` seconds after its start."""

    def __init__(self, rate: float, start: float) -> None:
        self.rate, self.start, self.released = rate, start, 0

    def due(self, now: float) -> int:
        """How many may go now."""
        return max(0, math.floor((now - self.start) * self.rate) + 1 - self.released)

    def release(self, count: int) -> None:
        self.released += count

    def wait(self, now: float) -> float:
        """Seconds until the next one is due."""
        return max(0.0, self.start + self.released / self.rate - now)
