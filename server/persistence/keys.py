"""What a caller's name or id can be before it reaches the database.

Ids fit the id columns (PostgreSQL's `integer`, the narrowest of both databases); names fit their column and
hold no NUL (PostgreSQL refuses it in text). A value that cannot be stored names no row, so lookups answer
"unknown" for it instead of letting the database driver fail.
"""
from __future__ import annotations

from typing import Any

from tortoise.models import Model

MAX_ID = 2**31 - 1


def row_id(value: Any) -> int | None:
    """`value` as a row id (an int, or ASCII digits), or None when no row can have it."""
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None


def storable(model: type[Model], field: str, text: str) -> bool:
    """Whether `text` fits the model's column `field` (its length) and holds no NUL."""
    limit = getattr(model._meta.fields_map[field], "max_length", None)
    return "\x00" not in text and (limit is None or len(text) <= limit)


async def by_name_or_id(model: type[Model], key: Any, field: str = "name") -> Any:
    """The row whose unique `field` is `key` (stripped), else the row whose id it is; None when neither."""
    text = str(key).strip()
    unique: dict[str, Any] = {field: text}  # Any: the keywords of get_or_none include using_db
    row = await model.get_or_none(**unique) if storable(model, field, text) else None
    if row is None and (number := row_id(text)) is not None:
        row = await model.get_or_none(id=number)
    return row
