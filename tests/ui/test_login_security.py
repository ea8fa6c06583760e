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


class _RecordingPasswords:
    """Stands in for the password pool: records which stored hash each sign-in was checked against."""

    def __init__(self) -> None:
        self.checked: list[str | None] = []

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.checked.append(password_hash)
        return False


async def test_every_sign_in_checks_a_password_known_user_or_not(browsers: Browsers) -> None:
    """Timing equalized by construction: an unknown or disabled user costs a password check like anyone."""
    from server.errors import Unauthorized
    from server.services.auth import AuthService

    passwords = _RecordingPasswords()
    auth = AuthService(browsers.services.settings, passwords=passwords)
    admin = await browsers.principal("admin")
    await browsers.services.admin.update_user(admin, "agent2", {"disabled": True})
    for username in ("nobody-here", "agent1", "agent2"):
        with pytest.raises(Unauthorized):
            await auth.login(username, "wrong")
    unknown, known, disabled = passwords.checked
    assert unknown is None and known.startswith("$argon2") and disabled.startswith("$argon2")


async def test_the_sign_in_page_says_when_to_try_again(browsers: Browsers) -> None:
    from server.errors import Unauthorized

    for _ in range(10):
        with pytest.raises(Unauthorized):
            await browsers.services.auth.login("agent3", "guess")
    user = browsers.first
    await user.open("/login")
    await _sign_in(user, "agent3", "demo")
    await user.should_see("Too many sign-in attempts. Try again in 15 minutes.", retries=100)
    assert user.back_history[-1] == "/login"
