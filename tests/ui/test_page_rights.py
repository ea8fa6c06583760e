"""An open page acts only while its user may (issue: an admin demoted and disabled while their users page
stayed open created a new admin from it and re-enabled themself). Every action of a page checks the browser's
session again, and a user whose account an administrator changed is told at once and sent away."""
from __future__ import annotations

from typing import Any

from server.persistence.models import AuthSession, User
from server.services.passwords import hash_password
from server.ui.context import SESSION_ENDED, SIGNED_OUT
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually


async def _admin_filling_a_new_admin(browsers: Browsers, admin: str, new: str) -> tuple[int, Any, Any]:
    """A second administrator (signing in with the demo password), on /admin/users with the "New user"
    dialog filled for an administrator named `new`: their id, and their page's simulated browser and Save
    button, unclicked."""
    admin_id = (await User.create(username=admin, password_hash=hash_password("demo"), role="admin")).id
    user = await browsers.signed_in(admin)
    await user.open("/admin/users")
    await user.should_see(marker="users-table", retries=WAIT_RETRIES)
    user.find(marker="users-new").click()
    await user.should_see(marker="user-save", retries=WAIT_RETRIES)
    user.find(marker="user-username").type(new)
    user.find(marker="user-password").type("mallory-pass-1")
    element(user, "user-role").set_value("admin")
    return admin_id, user, user.find(marker="user-save")


async def test_a_demoted_and_disabled_admin_cannot_act_from_a_page_left_open(browsers: Browsers) -> None:
    boss_id, boss, save = await _admin_filling_a_new_admin(browsers, "boss", "mallory")
    table = boss.find(marker="users-table")  # the page's elements, as a browser that ignores navigation keeps them

    admin = await browsers.principal("admin")
    await browsers.services.admin.update_user(admin, "boss", {"role": "agent"})
    await browsers.services.admin.update_user(admin, "boss", {"disabled": True})
    await eventually(lambda: boss.notify.contains(SIGNED_OUT))
    assert await AuthSession.filter(user_id=boss_id).count() == 0

    save.click()  # from the page built while boss was an admin
    table.trigger("enable", {"username": "boss"})
    table.trigger("edit", {"username": "boss"})
    await eventually(lambda: boss.notify.messages.count(SESSION_ENDED) >= 2)  # Save and Enable, refused
    assert not await User.exists(username="mallory")
    found = await User.get(id=boss_id)
    assert (found.role, found.disabled) == ("agent", True)


async def test_a_page_whose_session_ended_elsewhere_refuses_the_next_action(browsers: Browsers) -> None:
    """No event needed: the action itself checks the session (here ended as when signing out elsewhere)."""
    boss_id, chief, save = await _admin_filling_a_new_admin(browsers, "chief", "mallory2")
    await browsers.services.auth.forget_user(boss_id, end_sessions=True)

    save.click()
    await eventually(lambda: chief.notify.contains(SESSION_ENDED))
    await chief.should_see("Sign in", retries=WAIT_RETRIES)  # sent to the sign-in page
    assert not await User.exists(username="mallory2")


async def test_a_new_role_rebuilds_open_pages_and_a_lower_one_signs_out(browsers: Browsers) -> None:
    agent = await browsers.signed_in("agent2")
    await agent.should_see(marker="user-menu", retries=WAIT_RETRIES)
    admin = await browsers.principal("admin")
    await browsers.services.admin.update_user(admin, "agent2", {"role": "supervisor"})

    async def board_offered() -> bool:
        """The desk was rebuilt for the new role: its menu now leads to the board."""
        agent.find(marker="user-menu").click()
        try:
            await agent.should_see(marker="to-supervisor", retries=1)
            return True
        except AssertionError:
            return False

    assert await eventually(board_offered, timeout=10)
    await browsers.services.admin.update_user(admin, "agent2", {"role": "agent"})
    await eventually(lambda: agent.notify.contains(SIGNED_OUT))
    await agent.should_see("Sign in", retries=WAIT_RETRIES)



async def test_the_pages_file_routes_answer_404_for_ids_no_row_can_have(browsers: Browsers) -> None:
    agent = await browsers.signed_in("agent1")
    for path in (f"/desk/files/{2**63}/1", f"/desk/files/1/{2**31}", f"/desk/transcripts/{2**63}.pdf",
                 "/desk/transcripts/-5.pdf"):
        answer = await agent.http_client.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found", (path, answer.text)


async def test_a_board_left_open_stops_showing_live_data_once_its_session_ended(browsers: Browsers) -> None:
    """The board redraws by itself; it checks the session before each redraw, so a board whose session ended
    (idle, past its lifetime, or ended by an administrator) shows nothing more and goes to sign in."""
    watcher = await browsers.signed_in("supervisor")
    await watcher.open("/supervisor")
    await watcher.should_see(marker="board-queues", retries=WAIT_RETRIES)
    supervisor = await User.get(username="supervisor")
    await browsers.services.auth.forget_user(supervisor.id, end_sessions=True)  # no event: ended as by expiry
    await eventually(lambda: watcher.notify.contains(SESSION_ENDED), timeout=10)
    await watcher.should_see("Sign in", retries=WAIT_RETRIES)
