"""Parameters shared by the routes: ids in paths and queries are bounded to what the id columns hold, so an id
no row can have is refused (422) before it reaches the database."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from server.persistence.keys import MAX_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
