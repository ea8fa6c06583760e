"""NUL characters: no text or JSON column takes one (PostgreSQL refuses them), and nobody types one."""
from __future__ import annotations

import re

from server.errors import Invalid

# JSON's escape of NUL (`\u0000`) where it is not itself escaped: preceded by an even run of backslashes (an odd
# run escapes the escape's own backslash). Group 1 is that run.
JSON_ESCAPED_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
REPLACEMENT = "\ufffd"  # what a NUL from a customer becomes


def refuse_nul(value: str, what: str) -> str:
    """`value` as given, or Invalid naming `what` when it holds a NUL character (what a person sends)."""
    if "\x00" in value:
        raise Invalid(f"{what} cannot hold a NUL character.")
    return value
