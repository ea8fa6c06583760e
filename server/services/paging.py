"""Pages of a list as callers ask for them: checked once for every paged list."""
from __future__ import annotations

from typing import Any

from server.errors import Invalid
from server.persistence.keys import MAX_ID

MAX_PAGE_SIZE = 200
MAX_PAGE = MAX_ID  # the offset of its last row still fits the databases' 64-bit integers


def check_paging(page: Any, page_size: Any) -> None:
    """Invalid unless `page` is a whole number from 1 to MAX_PAGE and `page_size` one from 1 to MAX_PAGE_SIZE."""
    if not isinstance(page, int) or not isinstance(page_size, int) or not 1 <= page <= MAX_PAGE \
            or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page is from 1 to {MAX_PAGE}; page_size is from 1 to {MAX_PAGE_SIZE}.")
