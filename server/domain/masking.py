"""Masking of customers' personal data for agents (SPEC C8): the admin hides phone numbers, emails and
names fully or partly; supervisors and admins always see them whole. Applied where views are made, so
the unmasked value never leaves the server for a masked viewer."""
from __future__ import annotations

from dataclasses import dataclass

HIDDEN = "•••"


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

    def within(self, text: str, name: str, phone: str) -> str:
        """`text` with the customer's name (whole, and each word) and number masked wherever they appear."""
        if self.phone != "none" and phone:
            for form in sorted({phone, phone.lstrip("+")}, key=len, reverse=True):
                text = text.replace(form, self.of_phone(phone) or "")
        if self.name != "none" and name.strip():
            for part in sorted({name.strip(), *(w for w in name.split() if len(w) > 1)}, key=len, reverse=True):
                text = text.replace(part, self.of_name(part) or "")
        return text


UNMASKED = Masking()


def masking_for(role: str, setting: dict[str, str]) -> Masking:
    """What this viewer may see: agents get the admin's masking, supervisors and admins everything."""
    if role != "agent":
        return UNMASKED
    return Masking(setting.get("phone", "none"), setting.get("email", "none"), setting.get("name", "none"))
