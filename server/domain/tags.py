"""How a contact's tags are shown (SPEC C3): each in its color, all grey when the contact has many."""
from __future__ import annotations

MANY_TAGS = 3
GREY = "#9e9e9e"


def shown_colors(tags: list[tuple[str, str]]) -> dict[str, str]:
    """(name, color) pairs -> the color each tag is shown in."""
    many = len(tags) > MANY_TAGS
    return {name: GREY if many else color for name, color in tags}
