"""Canned answers: ready texts with placeholders such as `{first_name}`, filled from the conversation."""
from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{(first_name|last_name|full_name|agent_name|phone)\}")


def fill(body: str, customer_name: str, phone: str, agent_name: str) -> str:
    """The answer as the customer will read it; a placeholder with no value becomes a neutral word."""
    first, _, last = customer_name.strip().partition(" ")
    values = {"first_name": first or "there", "last_name": last, "full_name": customer_name.strip() or "there",
              "agent_name": agent_name, "phone": phone}
    text = PLACEHOLDER.sub(lambda match: values[match.group(1)], body)
    return re.sub(r"[ \t]{2,}", " ", text)
