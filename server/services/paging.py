"""Pages of a list as callers ask for them: checked once for every paged list."""
from __future__ import annotations

from typing import Any

from server.errors import Invalid

MAX_PAGE_SIZE = 200


def check_paging(page: Any, page_size: Any) -> None:
    """Invalid unless `page` is a whole number from 1 and `page_size` one from 1 to MAX_PAGE_SIZE."""
    if not isinstance(page, int) or not isinstance(page_size, int) or page < 1 \
            or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page starts at 1; page_size is from 1 to {MAX_PAGE_SIZE}.")
