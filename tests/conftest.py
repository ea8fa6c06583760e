"""The server every API and browser test module talks to.

Each module gets its own `python -m server --demo` on its own database, made by copying a demo workspace
migrated and created once per session (the same as a fresh start: the copy is what that start leaves).
XC_TEST_DATABASE=postgres runs those modules against PostgreSQL instead of SQLite (`.ci/run` does both):
one private PostgreSQL server for the session, a database per module copied from the demo template."""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import create_database, postgres_binaries, postgres_server
from tests.serverproc import ServerProcess, copy_data_dir

TEST_DATABASE = os.environ.get("XC_TEST_DATABASE", "sqlite")
_databases = itertools.count(1)


@dataclass(frozen=True)
class DemoTemplate:
    data_dir: Path  # the data dir a --demo start left (its SQLite file, its generated storage secret)
    postgres: str | None = None  # the PostgreSQL server's URL, whose database `demo` is the template


@pytest.fixture(scope="session")
def sqlite_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir that a `--demo` start on SQLite left: the page tests copy it too."""
    data_dir = tmp_path_factory.mktemp("sqlite-demo")
    ServerProcess(data_dir).start().stop()
    (data_dir / "server.log").unlink(missing_ok=True)
    return data_dir


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[DemoTemplate]:
    if TEST_DATABASE != "postgres":
        yield DemoTemplate(request.getfixturevalue("sqlite_demo_dir"))
        return
    data_dir = tmp_path_factory.mktemp("demo-template")
    if not postgres_binaries():
        pytest.fail("XC_TEST_DATABASE=postgres needs PostgreSQL's binaries (Debian package postgresql)")
    with postgres_server() as url:
        ServerProcess(data_dir, database_url=create_database(url, "demo")).start().stop()
        yield DemoTemplate(data_dir, url)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Iterator[ServerProcess]:
    """A real `python -m server --demo` on its own copy of the demo workspace, shared by one test module."""
    data_dir = copy_data_dir(demo_template.data_dir, tmp_path_factory.mktemp("server") / "data")
    database_url = None
    if demo_template.postgres:
        database_url = create_database(demo_template.postgres, f"module{next(_databases)}", template="demo")
    server = ServerProcess(data_dir, database_url=database_url).start()
    yield server
    server.stop()
