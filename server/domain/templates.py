"""Message templates: bodies with numbered variables, `{{1}}`, `{{2}}`, ... as WhatsApp defines them."""
from __future__ import annotations

import re

from server.errors import Invalid

VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MAX_VARIABLE = 1024


def variable_count(body: str) -> int:
    return max((int(n) for n in VARIABLE.findall(body)), default=0)


def render(body: str, variables: list[str]) -> str:
    """The body as the customer reads it; Invalid unless exactly one value per variable is given."""
    expected = variable_count(body)
    if len(variables) != expected:
        raise Invalid(f"This template takes {expected} variable(s); {len(variables)} given.")
    for value in variables:
        if not value.strip() or len(value) > MAX_VARIABLE or "\n" in value:
            raise Invalid(f"Template variables must be one line of 1 to {MAX_VARIABLE} characters.")
    return VARIABLE.sub(lambda match: variables[int(match.group(1)) - 1], body)
