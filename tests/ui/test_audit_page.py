"""The Audit trail page through NiceGUI's simulated user (SPEC A3): an administrator sees the entries newest
first, filters them by who, action (one or a group), target and dates, pages through them and opens one to
compare before with after; a supervisor is told the page is for administrators."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from server.persistence.audit import write_audit
from server.ui.audit_page import FORBIDDEN, PAGE_SIZE
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually


async def audit(browsers: Browsers, username: str = "admin"):
    user = await browsers.signed_in(username, await browsers.new())
    await user.open("/admin/audit")
    return user


def rows(user) -> list[dict[str, Any]]:
    return element(user, "audit-table").rows


async def search(user) -> None:
    user.find(marker="audit-search").click()


async def test_an_administrator_sees_filters_pages_and_compares_entries(browsers: Browsers) -> None:
    services = browsers.services
    admin = await browsers.principal("admin")
    await services.admin.update_settings(admin, {"agent_timeout": 120})
    await services.admin.create_user(admin, {"username": "nora", "password": "a-long-password", "role": "agent"})
    await services.admin.update_user(admin, "nora", {"role": "supervisor"})
    for n in range(PAGE_SIZE + 5):
        await write_audit(None, None, "robot", "robot.check", f"robot entry {n}", None, {"n": n})

    user = await audit(browsers)
    await user.should_see(marker="audit-table", retries=WAIT_RETRIES)
    await eventually(lambda: len(rows(user)) == PAGE_SIZE)
    assert rows(user)[0]["target"] == f"robot entry {PAGE_SIZE + 4}"  # newest first
    assert element(user, "audit-page").text == "Page 1 of 2"

    user.find(marker="audit-actor").type("admin")
    await search(user)
    await eventually(lambda: rows(user) and {r["actor"] for r in rows(user)} == {"admin"})
    actions = [r["action"] for r in rows(user)]
    assert actions[:3] == ["user.update", "user.create", "settings.update"]

    options = element(user, "audit-action").options
    assert "user." in options and "user.update" in options and "settings.update" in options
    element(user, "audit-action").set_value("user.")
    await search(user)
    await eventually(lambda: [r["action"] for r in rows(user)] == ["user.update", "user.create"])
    element(user, "audit-action").set_value("user.update")
    user.find(marker="audit-target").type("nora")
    await search(user)
    await eventually(lambda: [r["target"] for r in rows(user)] == ["user nora"])
    assert rows(user)[0]["changed"] == "role"

    user.find(marker="audit-table").trigger("rowClick", [{}, rows(user)[0], 0])
    await user.should_see(marker="audit-entry", retries=WAIT_RETRIES)
    assert element(user, "audit-entry").text == "user.update · user nora"
    [changed] = user.find(marker="audit-changed").elements
    assert changed.text == "role"
    assert element(user, "audit-before-role").text == "agent"
    assert element(user, "audit-after-role").text == "supervisor"
    assert element(user, "audit-before-username").text == element(user, "audit-after-username").text == "nora"
    assert "bg-amber-2" in element(user, "audit-after-role").classes
    assert "bg-amber-2" not in element(user, "audit-after-username").classes
    user.find(marker="audit-entry-close").click()

    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    element(user, "audit-from").set_value(tomorrow)
    await search(user)
    await eventually(lambda: rows(user) == [] and element(user, "audit-count").text == "0 entries")
    element(user, "audit-from").set_value("not a date")
    await search(user)
    await eventually(lambda: user.notify.contains("from must be an ISO date (YYYY-MM-DD) or date-time."))

    user.find(marker="audit-clear").click()
    await eventually(lambda: len(rows(user)) == PAGE_SIZE)
    user.find(marker="audit-actor").type("robot")
    await search(user)
    await eventually(lambda: element(user, "audit-count").text == f"{PAGE_SIZE + 5} entries")
    user.find(marker="audit-next").click()
    await eventually(lambda: [r["target"] for r in rows(user)] == [f"robot entry {n}" for n in range(4, -1, -1)])
    assert element(user, "audit-page").text == "Page 2 of 2"
    assert not element(user, "audit-next").enabled
    user.find(marker="audit-previous").click()
    await eventually(lambda: rows(user) and rows(user)[0]["target"] == f"robot entry {PAGE_SIZE + 4}")


async def test_a_supervisor_is_told_it_is_for_administrators(browsers: Browsers) -> None:
    user = await audit(browsers, "supervisor")
    await user.should_see(FORBIDDEN, retries=WAIT_RETRIES)
    await user.should_not_see(marker="audit-table")
    await user.should_not_see(marker="admin-menu")
