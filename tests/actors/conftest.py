from __future__ import annotations

import pytest

from tests.actors.harness import Core


@pytest.fixture
def core(tmp_path):
    harness = Core(tmp_path)
    yield harness
    harness.close()
