"""The Interactions page through NiceGUI's simulated user (SPEC L1, L2): who sees what, filters, search,
paging, a row opened."""
from __future__ import annotations

import asyncio
import io
import threading

from pypdf import PdfReader

from server.persistence.models import TranscriptDownload
from server.services import transcript_pdf, transcripts
from tests.ui.conftest import WAIT_RETRIES, Browsers, accepted, element, eventually, go_online, new_phone, receive


def rows(user) -> list[dict]:
    return element(user, "list-table").rows


async def test_agents_see_their_own_supervisors_all_and_filters_narrow_it(browsers: Browsers) -> None:
    desk = await browsers.signed_in("agent1")
    await go_online(browsers, desk, "agent1")
    mine = await accepted(browsers, desk, new_phone(), "my parcel is late", "Elena Ricci")
    theirs = await receive(browsers, new_phone(), "invoice question about order 5521", "Marco Conti")

    agent = await browsers.signed_in("agent1", await browsers.new())
    await agent.open("/interactions")
    await eventually(lambda: rows(agent))
    assert [r["id"] for r in rows(agent)] == [mine]  # not the one waiting in the queue
    assert rows(agent)[0]["contact"] == "Elena Ricci" and rows(agent)[0]["last"] == "↙ my parcel is late"

    supervisor = await browsers.signed_in("supervisor", await browsers.new())
    await supervisor.open("/interactions")
    await eventually(lambda: len(rows(supervisor)) == 2)
    supervisor.find(marker="list-search").type("5521")
    supervisor.find(marker="list-go").click()
    await eventually(lambda: [r["id"] for r in rows(supervisor)] == [theirs])
    assert element(supervisor, "list-count").text == "1-1 of 1"
    element(supervisor, "list-search").set_value("")
    element(supervisor, "list-unread").set_value("unread")
    supervisor.find(marker="list-go").click()
    await eventually(lambda: [r["id"] for r in rows(supervisor)] == [theirs])  # agent1 has read theirs
    element(supervisor, "list-unread").set_value("read")
    supervisor.find(marker="list-go").click()
    await eventually(lambda: [r["id"] for r in rows(supervisor)] == [mine])
    element(supervisor, "list-unread").set_value("")
    element(supervisor, "list-message").set_value("invoice 5521")  # advanced: every field given must match
    element(supervisor, "list-name").set_value("marco")
    supervisor.find(marker="list-go").click()
    await eventually(lambda: [r["id"] for r in rows(supervisor)] == [theirs])
    element(supervisor, "list-name").set_value("elena")
    supervisor.find(marker="list-go").click()
    await eventually(lambda: rows(supervisor) == [])
    element(supervisor, "list-name").set_value("")
    element(supervisor, "list-message").set_value("")

    supervisor.find(marker="list-table").trigger("rowClick", [{}, {"id": theirs}, 0])
    await supervisor.should_see("Routing history", retries=WAIT_RETRIES)
    await supervisor.should_see(marker="list-table")


async def test_a_bad_date_is_a_notice_not_an_error(browsers: Browsers) -> None:
    user = await browsers.signed_in("supervisor")
    await user.open("/interactions")
    await eventually(lambda: element(user, "list-table") is not None)
    [created_from] = [e for e in user.find("From").elements if hasattr(e, "set_value")]
    created_from.set_value("25/11/2026")
    user.find(marker="list-go").click()
    await eventually(lambda: user.notify.contains("from must be an ISO date (YYYY-MM-DD) or date-time."))


async def test_the_transcript_downloads_for_readers_only_and_is_recorded(browsers: Browsers) -> None:
    desk = await browsers.signed_in("agent2")
    await go_online(browsers, desk, "agent2")
    interaction_id = await accepted(browsers, desk, new_phone(), "please send me a transcript")
    pdf = await desk.http_client.get(f"/desk/transcripts/{interaction_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    other = await browsers.signed_in("agent3", await browsers.new())
    refused = await other.http_client.get(f"/desk/transcripts/{interaction_id}.pdf")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    stranger = await browsers.new()
    assert (await stranger.http_client.get(f"/desk/transcripts/{interaction_id}.pdf")).status_code == 401
    assert await TranscriptDownload.filter(interaction_id=interaction_id).count() == 1


async def test_the_owner_closes_and_disposes_from_the_list(browsers: Browsers) -> None:
    desk = await browsers.signed_in("agent4")
    await go_online(browsers, desk, "agent4")
    interaction_id = await accepted(browsers, desk, new_phone(), "all sorted, thanks")
    user = await browsers.signed_in("agent4", await browsers.new())
    await user.open("/interactions")
    await eventually(lambda: rows(user))
    user.find(marker="list-table").trigger("rowClick", [{}, {"id": interaction_id}, 0])
    await user.should_see(marker="list-close", retries=WAIT_RETRIES)
    user.find(marker="list-close").click()
    await user.should_see(marker="disposition", retries=WAIT_RETRIES)
    element(user, "disposition").set_value("Resolved")
    user.find(marker="close-confirm").click()
    supervisor = await browsers.principal("supervisor")

    async def closed() -> bool:
        details = await browsers.services.interactions.get(supervisor, interaction_id)
        return details["status"] == "closed" and details["disposition"] == "Resolved"

    await eventually(closed)


async def test_a_link_opens_one_interaction_for_whoever_may_read_it(browsers: Browsers) -> None:
    desk = await browsers.signed_in("agent2")
    await go_online(browsers, desk, "agent2")
    mine = await accepted(browsers, desk, new_phone(), "about my refund", "Paola Neri")

    agent = await browsers.signed_in("agent2", await browsers.new())
    await agent.open(f"/interactions?open={mine}")
    await agent.should_see("Routing history", retries=WAIT_RETRIES)
    await agent.should_see("about my refund")

    other = await browsers.signed_in("agent3", await browsers.new())
    await other.open(f"/interactions?open={mine}")  # agent3's is not theirs: a notice, no messages
    await eventually(lambda: other.notify.contains("This interaction belongs to another agent."))
    await other.should_not_see("about my refund")


async def test_tags_and_disposition_are_edited_from_the_opened_row(browsers: Browsers) -> None:
    desk = await browsers.signed_in("agent2")
    await go_online(browsers, desk, "agent2")
    mine = await accepted(browsers, desk, new_phone(), "please call me back", "Rita Fontana")
    user = await browsers.signed_in("agent2", await browsers.new())
    await user.open(f"/interactions?open={mine}")
    await user.should_see(marker="edit-tags", retries=WAIT_RETRIES)
    element(user, "edit-tags").set_value(["VIP", "Support"])
    element(user, "edit-disposition").set_value("Follow-up needed")
    user.find(marker="edit-save").click()
    await eventually(lambda: user.notify.contains("Saved."))
    saved = await browsers.services.interactions.get(await browsers.principal("agent2"), mine)
    assert saved["tags"] == ["Support", "VIP"] and saved["disposition"] == "Follow-up needed"


async def test_a_masked_agent_finds_a_conversation_by_the_whole_number_only(browsers: Browsers) -> None:
    await browsers.services.settings.update({"masking": {"phone": "partial", "name": "full"}})
    desk = await browsers.signed_in("agent3")
    await go_online(browsers, desk, "agent3")
    phone = new_phone()
    mine = await accepted(browsers, desk, phone, "hello", "Teodora Salvi")
    agent = await browsers.signed_in("agent3", await browsers.new())
    await agent.open("/interactions")
    await eventually(lambda: rows(agent))
    for probe, found in ((phone[:9], []), ("Teo", []), (phone, [mine]), ("teodora salvi", [mine])):
        element(agent, "list-search").set_value(probe)
        agent.find(marker="list-go").click()
        await eventually(lambda: [r["id"] for r in rows(agent)] == found)
        await eventually(lambda: element(agent, "list-count").text.endswith(f"of {len(found)}"))
    element(agent, "list-search").set_value("")
    element(agent, "list-phone").set_value(phone[3:10])
    agent.find(marker="list-go").click()
    await eventually(lambda: rows(agent) == [])


async def test_a_long_transcript_being_drawn_does_not_hold_a_short_one(browsers: Browsers, monkeypatch) -> None:
    desk = await browsers.signed_in("agent2")
    await go_online(browsers, desk, "agent2")
    long_id = await accepted(browsers, desk, new_phone(), "a very long conversation")
    short_id = await accepted(browsers, desk, new_phone(), "a short one")
    drawing, finish = threading.Event(), threading.Event()
    draw = transcript_pdf._render

    def held_while_long(interaction, *args):
        if interaction["id"] == long_id:
            drawing.set()
            finish.wait(120)
        return draw(interaction, *args)

    monkeypatch.setattr(transcript_pdf, "_render", held_while_long)
    long = asyncio.create_task(desk.http_client.get(f"/desk/transcripts/{long_id}.pdf"))
    try:
        await eventually(drawing.is_set)
        short = await asyncio.wait_for(desk.http_client.get(f"/desk/transcripts/{short_id}.pdf"), 30)
        assert short.status_code == 200 and short.content.startswith(b"%PDF")
        assert not long.done()  # the long one is still being drawn
    finally:
        finish.set()
    assert (await long).status_code == 200


async def test_transcripts_past_the_waiting_line_are_refused_busy(browsers: Browsers, monkeypatch) -> None:
    """Each transcript in hand holds its messages: past the renderers and a short line, the next is refused
    with 503 busy (and Retry-After) instead of piling up; once they are done, transcripts are made again."""
    monkeypatch.setattr(transcripts, "RENDERERS", 1)
    monkeypatch.setattr(transcripts, "WAITING", 1)
    desk = await browsers.signed_in("agent2")
    await go_online(browsers, desk, "agent2")
    interaction_id = await accepted(browsers, desk, new_phone(), "a conversation")
    drawing, finish = threading.Event(), threading.Event()
    draw = transcript_pdf._render

    def held(interaction, *args):
        drawing.set()
        finish.wait(120)
        return draw(interaction, *args)

    monkeypatch.setattr(transcript_pdf, "_render", held)
    path = f"/desk/transcripts/{interaction_id}.pdf"
    first = asyncio.create_task(desk.http_client.get(path))
    try:
        await eventually(drawing.is_set)
        second = asyncio.create_task(desk.http_client.get(path))  # waits in line
        await eventually(lambda: browsers.services.transcripts._in_hand == 2)
        refused = await desk.http_client.get(path)
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "busy", refused.text
    finally:
        finish.set()
    assert (await first).status_code == 200 and (await second).status_code == 200
    assert (await desk.http_client.get(path)).status_code == 200


async def test_a_huge_conversation_gives_its_latest_messages_and_says_it_is_cut(browsers: Browsers,
                                                                                monkeypatch) -> None:
    monkeypatch.setattr(transcripts, "MAX_MESSAGES", 3)
    desk = await browsers.signed_in("agent1")
    await go_online(browsers, desk, "agent1")
    phone = new_phone()
    interaction_id = await accepted(browsers, desk, phone, "message number 1")
    for n in range(2, 6):
        await receive(browsers, phone, f"message number {n}")
    pdf = await desk.http_client.get(f"/desk/transcripts/{interaction_id}.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Only the latest 3 messages are shown" in text
    assert [n for n in range(1, 6) if f"message number {n}" in text] == [3, 4, 5]
