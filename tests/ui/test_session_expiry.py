"""Sessions end after an idle time and after a lifetime (workspace setting `sessions`), checked on every
request, cached or not; a row backdated in the database file past either limit is refused and deleted."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.errors import Invalid, Unauthorized
from server.persistence.models import AuthSession
from server.services.auth import AuthService, _token_hash
from tests.ui.conftest import Browsers, element
from tests.ui.test_admin_pages import admin_on, click_and_see


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


async def _row(token: str) -> AuthSession | None:
    return await AuthSession.get_or_none(token_hash=_token_hash(token))


async def _signed_in_then_uncached(browsers: Browsers, username: str = "agent1") -> tuple[AuthService, str]:
    """A session made by the running service, read afresh from the database by a second one (another node)."""
    token, _ = await browsers.services.auth.login(username, "demo")
    return AuthService(browsers.services.settings), token


@pytest.mark.parametrize("created,used", [(timedelta(hours=13), timedelta(minutes=1)),  # past the lifetime
                                          (timedelta(hours=3), timedelta(hours=3)),  # idle too long
                                          (timedelta(hours=3), None)])  # never used since, idle too long
async def test_a_backdated_session_is_refused_and_deleted(browsers: Browsers, created: timedelta,
                                                          used: timedelta | None) -> None:
    auth, token = await _signed_in_then_uncached(browsers)
    now = datetime.now(timezone.utc)
    await AuthSession.filter(token_hash=_token_hash(token)).update(
        created_at=now - created, last_used_at=now - used if used is not None else None)
    with pytest.raises(Unauthorized) as refused:
        await auth.authenticate(token)
    assert refused.value.code == "session_ended"
    assert await _row(token) is None


async def test_a_session_in_use_stays_and_its_last_use_is_stored(browsers: Browsers) -> None:
    auth, token = await _signed_in_then_uncached(browsers)
    now = datetime.now(timezone.utc)
    await AuthSession.filter(token_hash=_token_hash(token)).update(created_at=now - timedelta(hours=11),
                                                                    last_used_at=now - timedelta(minutes=100))
    assert (await auth.authenticate(token)).username == "agent1"
    assert (await _row(token)).last_used_at >= now - timedelta(seconds=5)


async def test_a_cached_session_ends_when_idle_and_use_is_written_about_once_a_minute(browsers: Browsers) -> None:
    clock = Clock()
    auth = AuthService(browsers.services.settings, clock=clock)
    token, _ = await auth.login("agent1", "demo")
    signed_in = (await _row(token)).last_used_at
    clock.now += timedelta(seconds=30)
    await auth.authenticate(token)
    assert (await _row(token)).last_used_at == signed_in  # within the minute: not written
    for step in (timedelta(minutes=1), timedelta(minutes=60), timedelta(minutes=110)):  # never idle for 2 hours
        clock.now += step
        await auth.authenticate(token)
    assert (await _row(token)).last_used_at == clock.now
    clock.now += timedelta(hours=2, minutes=1)
    with pytest.raises(Unauthorized):
        await auth.authenticate(token)  # cached, and idle too long
    assert await _row(token) is None


async def test_a_cached_session_ends_at_its_lifetime_however_busy(browsers: Browsers) -> None:
    clock = Clock()
    auth = AuthService(browsers.services.settings, clock=clock)
    token, _ = await auth.login("agent1", "demo")
    for _ in range(12 * 2 - 1):
        clock.now += timedelta(minutes=30)
        await auth.authenticate(token)
    clock.now += timedelta(minutes=31)
    with pytest.raises(Unauthorized):
        await auth.authenticate(token)


async def test_a_pages_own_work_does_not_keep_its_session_from_idling(browsers: Browsers) -> None:
    """A desk left open on a busy queue checks its session for every event it shows (`touch=False`): that is
    no use by a person, so the session still ends after the idle time."""
    clock = Clock()
    auth = AuthService(browsers.services.settings, clock=clock)
    token, _ = await auth.login("agent1", "demo")
    for _ in range(12):
        clock.now += timedelta(minutes=10)
        assert (await auth.authenticate(token, touch=False)).username == "agent1"
    clock.now += timedelta(minutes=10)
    with pytest.raises(Unauthorized):
        await auth.authenticate(token, touch=False)  # 130 minutes since the last use by a person
    assert await _row(token) is None


async def test_a_session_deleted_elsewhere_ends_at_its_next_written_use(browsers: Browsers) -> None:
    clock = Clock()
    auth = AuthService(browsers.services.settings, clock=clock)
    token, _ = await auth.login("agent1", "demo")
    await AuthSession.filter(token_hash=_token_hash(token)).delete()  # e.g. signed out by another process
    clock.now += timedelta(minutes=2)
    with pytest.raises(Unauthorized):
        await auth.authenticate(token)


async def test_expired_sessions_are_deleted_when_someone_signs_in(browsers: Browsers) -> None:
    _, old = await _signed_in_then_uncached(browsers, "agent2")
    await AuthSession.filter(token_hash=_token_hash(old)).update(
        created_at=datetime.now(timezone.utc) - timedelta(days=2))
    await browsers.services.auth.login("agent1", "demo")
    assert await _row(old) is None


async def test_the_limits_are_settings_checked_by_the_service(browsers: Browsers) -> None:
    settings = browsers.services.settings
    assert settings.get("sessions") == {"idle_minutes": 120, "max_hours": 12}
    for bad in ({"idle_minutes": 4}, {"max_hours": 0}, {"max_hours": "12"}, {"forever": True}):
        with pytest.raises(Invalid):
            await settings.update({"sessions": bad})
    await settings.update({"sessions": {"idle_minutes": 5}})
    clock = Clock()
    auth = AuthService(settings, clock=clock)
    token, _ = await auth.login("agent1", "demo")
    clock.now += timedelta(minutes=6)
    with pytest.raises(Unauthorized):
        await auth.authenticate(token)


async def test_an_admin_sets_the_session_limits_on_the_settings_page(browsers: Browsers) -> None:
    user = await admin_on(browsers, "/admin/settings", "settings-save")
    assert element(user, "setting-sessions-idle-minutes").value == 120
    element(user, "setting-sessions-idle-minutes").set_value(30)
    element(user, "setting-sessions-max-hours").set_value(10)
    await click_and_see(user, "settings-save", "Settings saved.")
    assert browsers.services.settings.get("sessions") == {"idle_minutes": 30, "max_hours": 10}
