"""Placeholders in what agents send, such as `{first_name}` in a canned answer: filled when the message is
sent, with the customer's real details; a viewer who may not see a detail keeps its placeholder."""
from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{(first_name|last_name|full_name|agent_name|phone)\}")
NAME_PARTS = ("first_name", "last_name", "full_name")


def placeholder_values(customer_name: str, phone: str, agent_name: str) -> dict[str, str]:
    first, _, last = customer_name.strip().partition(" ")
    return {"first_name": first or "there", "last_name": last, "full_name": customer_name.strip() or "there",
            "agent_name": agent_name, "phone": phone}


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each placeholder that has a value filled in; the others are left as they are."""
    filled = PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)
    return re.sub(r"[ \t]{2,}", " ", filled)
