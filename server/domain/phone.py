"""Phone numbers in E.164, the one form we store and compare."""
from __future__ import annotations

import re
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


def phone_hint(raw: str, default_region: str | None) -> str:
    """How to type a number that `normalize_phone` refused, for people."""
    if default_region is None and not raw.strip().startswith(("+", "00")):
        return ("Type it with its country code, such as +39 333 123 4567; an administrator may set the "
                "workspace's default region (Settings) to take national numbers.")
    where = f" or as a national number of {default_region}" if default_region else ""
    return f"Type it with its country code, such as +39 333 123 4567{where}."


def whole_number(text: str, default_region: str | None = None) -> str | None:
    """`text` read as one whole phone number in E.164, if it is one (a search that may hold a number)."""
    if not any(c.isdigit() for c in text):
        return None
    try:
        return normalize_phone(text, default_region)
    except Invalid:
        return None


def customer_address(raw: str) -> str:
    """How a customer's WhatsApp id is kept: in E.164 when phonenumbers accepts it, else as the digits
    WhatsApp gave (a number it knows better than phonenumbers' metadata, such as Mexico's older 13-digit
    '521...' ids), with no '+': what is not E.164 never looks like it. Invalid when it is not a number."""
    try:
        return normalize_phone(raw)
    except Invalid:
        digits = (raw or "").strip().removeprefix("whatsapp:").strip().lstrip("+")
        if digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 20:
            return digits
        raise


def plain_e164(raw: str) -> str | None:
    """'+<digits>' when `raw` is nothing but a number's digits as providers send them ('+39333...', '39333...',
    'whatsapp:+39333...', '0039333...'), else None. Not checked: a key to find a conversation already open on
    that number, whose address `normalize_phone` made, before parsing the number again (about 300 us)."""
    text = (raw or "").strip().removeprefix("whatsapp:").strip()
    digits = text[1:] if text.startswith("+") else text[2:] if text.startswith("00") else text
    return "+" + digits if digits.isascii() and digits.isdigit() and not digits.startswith("0") else None


USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")  # Meta: country, '.', up to 128 alphanumerics


def user_id_address(raw: str) -> str:
    """A business-scoped user id (WhatsApp gives one instead of a number for some users: 'US.13491208655302741918')
    kept as it is; Invalid when it does not look like one."""
    text = (raw or "").strip()
    if not USER_ID.fullmatch(text):
        raise Invalid(f"{raw!r} is not a WhatsApp user id.")
    return text


def address_kind(address: str) -> str:
    """'e164' (a phone number), 'wa_id' (WhatsApp's digits, not E.164) or 'user_id' (no number known)."""
    if address.startswith("+"):
        return "e164"
    return "wa_id" if address.isdigit() else "user_id"


def _international(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + text, None)
    except phonenumbers.NumberParseException:
        return None


def readable_phone(e164: str) -> str:
    """'+393331234567' -> '+39 333 123 4567' for people to read; anything else (a masked value) as it is."""
    if address_kind(e164) != "e164":  # a WhatsApp id that is not E.164, or a user id
        return e164
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
