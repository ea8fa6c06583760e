"""The databases the migration tests upgrade."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import postgres_binaries, postgres_server


@pytest.fixture(params=["sqlite", "postgres"] if postgres_binaries() else ["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'migrate.sqlite3'}"
        return
    with postgres_server() as url:
        yield url
