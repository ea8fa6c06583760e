"""Phone numbers in E.164, the one form we store and compare."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers

from server.errors import Invalid


@lru_cache(maxsize=65_536)  # the same customers write again and again; parsing costs ~40 us
def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """'+39 333 123 4567', 'whatsapp:+39333...', '39333...' (a WhatsApp id), '0039 333...' -> '+39333...';
    '333 123 4567' too when `default_region` is 'IT'."""
    text = (raw or "").strip().removeprefix("whatsapp:").strip()
    if not text:
        raise Invalid("A phone number is required.")
    if not text.startswith("+") and default_region is None:
        # Provider ids (wa_id) come without the plus; "00" is the international prefix of most countries.
        text = "+" + (text[2:] if text.startswith("00") else text)
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise Invalid(f"{raw!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number) and default_region is not None and not text.startswith(("+", "0")):
        number = _international(text) or number  # its country code typed without the plus: '14155552671'
    if not phonenumbers.is_valid_number(number):
        raise Invalid(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _international(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + text, None)
    except phonenumbers.NumberParseException:
        return None


def readable_phone(e164: str) -> str:
    """'+393331234567' -> '+39 333 123 4567' for people to read; anything else (a masked value) as it is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
