from __future__ import annotations

import pytest

from tests.serverproc import ServerProcess


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `python -m server --demo` on its own SQLite file, shared by one test module."""
    server = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield server
    server.stop()
