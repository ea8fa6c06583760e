"""Masking of customers' personal data for agents (SPEC C8): the admin hides phone numbers, emails and
names fully or partly; supervisors and admins always see them whole. Applied where views are made, so
the unmasked value never leaves the server for a masked viewer."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from server.domain.phone import address_kind

HIDDEN = "•••"
SEPARATOR = r"[\s\-.()/]*"


@dataclass(frozen=True)
class Masking:
    phone: str = "none"  # none | partial | full
    email: str = "none"
    name: str = "none"

    def of_phone(self, value: str | None) -> str | None:
        if not value or self.phone == "none":
            return value
        return value[:4] + HIDDEN + value[-2:] if self.phone == "partial" and len(value) > 7 else HIDDEN

    def of_email(self, value: str | None) -> str | None:
        if not value or self.email == "none":
            return value
        local, at, domain = value.partition("@")
        return f"{local[:1]}{HIDDEN}{at}{domain}" if self.email == "partial" and at else HIDDEN

    def of_name(self, value: str | None) -> str | None:
        if not value or self.name == "none":
            return value
        if self.name == "partial":
            return " ".join(f"{word[:1]}{HIDDEN}" for word in value.split())
        return HIDDEN

    def within(self, text: str, names: Iterable[str], phones: Iterable[str], emails: Iterable[str] = ()) -> str:
        """`text` (a message, what a placeholder filled in) with the customer's numbers (E.164, found however
        they are written: '+39 333-123 4567', '0039...', '333 123 4567'), emails and names (whole, and each
        word of two letters or more, in any case) masked wherever they appear."""
        if self.phone != "none":
            for phone in filter(None, phones):
                pattern = _number_pattern(phone)
                if pattern is not None:
                    text = pattern.sub(self.of_phone(phone) or "", text)
        if self.email != "none":
            for email in filter(None, emails):
                text = re.sub(re.escape(email), self.of_email(email) or "", text, flags=re.IGNORECASE)
        if self.name != "none":
            words = {part for name in names for part in (name.strip(), *name.split()) if len(part) > 1}
            for word in sorted(words, key=len, reverse=True):
                text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", self.of_name(word) or "", text, flags=re.IGNORECASE)
        return text


UNMASKED = Masking()


def masking_for(role: str, setting: dict[str, str]) -> Masking:
    """What this viewer may see: agents get the admin's masking, supervisors and admins everything."""
    if role != "agent":
        return UNMASKED
    return Masking(setting.get("phone", "none"), setting.get("email", "none"), setting.get("name", "none"))


@lru_cache(maxsize=4096)
def _number_pattern(e164: str) -> re.Pattern[str] | None:
    """The number with or without its country code ('+', '00' or none), a national trunk 0, and any
    spaces, dashes, dots or brackets between its digits; not inside a longer run of digits. A customer
    address that is not E.164 (WhatsApp's digits, a user id) is found as it is written, digits with or
    without a '+' and separators."""
    join = SEPARATOR.join
    kind = address_kind(e164)
    if kind != "e164":
        if kind == "wa_id":
            return re.compile(rf"(?<!\d)(?:\+{SEPARATOR})?{join(e164)}(?!\d)")
        return re.compile(re.escape(e164), re.IGNORECASE)
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    country = join(str(number.country_code))
    return re.compile(rf"(?<!\d)(?:(?:(?:\+|00){SEPARATOR})?{country}{SEPARATOR}|0{SEPARATOR})?\(?"
                      rf"{join(str(number.national_number))}(?!\d)")
