"""The sign-in page against abuse: where it sends you afterwards, and what it says when sign-ins are throttled."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from nicegui import ui

from tests.ui.conftest import Browsers, eventually


async def _sign_in(user, username: str = "agent1", password: str = "demo") -> None:
    user.find("Username").type(username)
    user.find("Password").type(password)
    user.find(kind=ui.button, content="Sign in").click()


@pytest.mark.parametrize("next_path", ["/\\evil.example", "//evil.example", "/\t/evil.example",
                                       "https://evil.example/", "javascript:alert(1)", "/\x00/evil"])
async def test_after_signing_in_only_a_path_of_this_site_is_followed(browsers: Browsers, next_path: str) -> None:
    user = browsers.first
    await user.open("/login?next_path=" + quote(next_path, safe=""))
    await _sign_in(user)
    await user.should_see("Conversations", retries=100)
    assert await eventually(lambda: user.back_history[-1] == "/")
    assert not any("evil" in path for path in user.back_history[1:])  # past the sign-in page


async def test_a_path_of_this_site_is_followed_after_signing_in(browsers: Browsers) -> None:
    user = browsers.first
    await user.open("/login?next_path=" + quote("/interactions?status=open", safe=""))
    await _sign_in(user, "supervisor")
    assert await eventually(lambda: user.back_history[-1] == "/interactions?status=open")
