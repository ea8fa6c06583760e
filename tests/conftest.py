"""The server every API and browser test module talks to.

XC_TEST_DATABASE=postgres runs those modules against PostgreSQL instead of SQLite (`.ci/run` does both):
one private PostgreSQL server for the session, a fresh database per module."""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.postgres import create_database, postgres_binaries, postgres_server
from tests.serverproc import ServerProcess

TEST_DATABASE = os.environ.get("XC_TEST_DATABASE", "sqlite")
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not postgres_binaries():
        pytest.fail("XC_TEST_DATABASE=postgres needs PostgreSQL's binaries (Debian package postgresql)")
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A real `python -m server --demo` on its own database, shared by one test module."""
    database_url = None
    if TEST_DATABASE == "postgres":
        database_url = create_database(request.getfixturevalue("postgres_url"), f"module{next(_databases)}")
    server = ServerProcess(tmp_path_factory.mktemp("server"), database_url=database_url).start()
    yield server
    server.stop()
