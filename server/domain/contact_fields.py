"""A contact's own fields and the custom fields of its list (SPEC C2): what each may hold, checked once."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from server.domain.nul import refuse_nul
from server.errors import Invalid

KINDS = ("text", "number", "date", "choice")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # use fullmatch
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TEXT_VALUE = 1000
MAX_CHOICES = 100
STANDARD_FIELDS = {"first_name": 128, "last_name": 128, "email": 255, "company": 255, "notes": 4000}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()

    def coerce(self, raw: Any) -> Any:
        """The value to store for `raw`, or None to clear it; Invalid names the field and what it takes."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        label = self.label or self.name
        if self.kind == "number":
            return _number(raw, label)
        if not isinstance(raw, str):
            raise Invalid(f"{label} takes text.")
        value = raw.strip()
        if self.kind == "date":
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise Invalid(f"{label} takes a date as YYYY-MM-DD.") from None
        if self.kind == "choice" and value not in self.choices:
            raise Invalid(f"{label} takes one of: {', '.join(self.choices)}.")
        if len(value) > MAX_TEXT_VALUE:
            raise Invalid(f"{label} is limited to {MAX_TEXT_VALUE} characters.")
        return refuse_nul(value, label)


def _number(raw: Any, label: str) -> int | float:
    if isinstance(raw, bool):
        raise Invalid(f"{label} takes a number.")
    if isinstance(raw, (int, float)):
        value: int | float = raw
    else:
        try:
            text = str(raw).strip().replace(",", ".")
            value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        except ValueError:
            raise Invalid(f"{label} takes a number.") from None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise Invalid(f"{label} takes a finite number.")
    return value


def checked_definition(name: Any, label: Any, kind: Any, choices: Any) -> FieldSpec:
    """An admin's custom field definition, or Invalid naming what is wrong."""
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
        raise Invalid("name: 1-64 characters, lowercase letters, digits and '_', starting with a letter.")
    if name in STANDARD_FIELDS:
        raise Invalid(f"{name} is a standard contact field already.")
    label = label if label is not None else ""
    if not isinstance(label, str) or len(label.strip()) > 128:
        raise Invalid("label: text of at most 128 characters.")
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}.")
    options: tuple[str, ...] = ()
    if kind == "choice":
        if (not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES
                or not all(isinstance(c, str) and c.strip() and len(c) <= 128 for c in choices)):
            raise Invalid(f"choices: a list of 1-{MAX_CHOICES} non-empty texts (each at most 128 characters).")
        options = tuple(dict.fromkeys(c.strip() for c in choices))
    elif choices not in (None, []):
        raise Invalid("choices only go with kind choice.")
    return FieldSpec(name, label.strip(), kind, options)


def checked_values(specs: dict[str, FieldSpec], given: Any, current: dict[str, Any]) -> dict[str, Any]:
    """`current` custom values updated with `given` (a value None or "" clears one)."""
    if not isinstance(given, dict):
        raise Invalid("fields must be an object of custom field names and values.")
    values = dict(current)
    for name, raw in given.items():
        spec = specs.get(name)
        if spec is None:
            raise Invalid(f"This list has no custom field {name!r}.")
        value = spec.coerce(raw)
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return values


def carried_values(specs: dict[str, FieldSpec], values: dict[str, Any]) -> dict[str, Any]:
    """The custom values a contact keeps under `specs` (its list's fields, after a move or a merge, or a field
    re-created with another kind): those the list defines and whose value its kind still takes."""
    kept = {}
    for name, value in values.items():
        if name in specs:
            try:
                coerced = specs[name].coerce(value if specs[name].kind == "number" else str(value))
            except Invalid:
                continue
            if coerced is not None:
                kept[name] = coerced
    return kept


def require_identity(first_name: str, last_name: str, email: str, phones: list[str]) -> None:
    """A contact is someone: at least a name, a number or an email."""
    if not (first_name or last_name or email or phones):
        raise Invalid("Give the contact at least a name, a phone number or an email.")


def checked_standard(changes: dict[str, Any]) -> dict[str, str]:
    """The standard text fields among `changes`, trimmed and checked (email by its shape)."""
    values = {}
    for field, limit in STANDARD_FIELDS.items():
        if field not in changes:
            continue
        value = changes[field] if changes[field] is not None else ""
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise Invalid(f"{field} must be text of at most {limit} characters.", field=field)
        values[field] = refuse_nul(value.strip(), field)
    if values.get("email") and not EMAIL.match(values["email"]):
        raise Invalid(f"{values['email']!r} is not a valid email address.", field="email")
    return values


def search_columns(first_name: str, last_name: str, email: str) -> dict[str, str]:
    """The lower-cased copies that searches compare with (models.Contact)."""
    return {"search_name": f"{first_name} {last_name}".strip().lower(), "search_email": email.lower()}


def split_name(full: str) -> tuple[str, str]:
    """A WhatsApp profile name as first and last name: 'Maria del Carmen Ruiz' -> ('Maria del Carmen', 'Ruiz')."""
    words = full.split()
    if len(words) < 2:
        return (words[0] if words else "", "")
    return " ".join(words[:-1])[:128], words[-1][:128]
