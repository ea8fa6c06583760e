"""GET /interactions/{id}/transcript.pdf (SPEC L3/L4, C8, A3): readable as the interaction is, masked as
the screens are, with every message, note and routing event, and every download recorded."""
from __future__ import annotations

import io

import httpx
from pypdf import PdfReader

from server.services.transcripts import MAX_MESSAGES
from tests.api.conftest import Desk, assert_error, eventually, new_id, new_phone
from tests.stored import rows


def pdf_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def downloads(desk: Desk, interaction_id: int) -> list[str]:
    return [r[0] for r in rows(desk.server, "SELECT u.username FROM transcript_downloads d JOIN users u "
                                           "ON u.id = d.user_id WHERE d.interaction_id = ? ORDER BY d.id",
                                 interaction_id)]


def test_open_and_closed_transcripts_hold_header_messages_notes_and_history(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()
    interaction_id = desk.open_for("agent1", phone, "Здравствуйте! 你好 مرحبا Città 😊 <b>&", name="Rosa Bianca")
    agent = desk["agent1"]
    assert agent.post(f"/interactions/{interaction_id}/messages", json={"text": "Ciao, come posso aiutare?"}
                      ).status_code == 201
    assert agent.post(f"/interactions/{interaction_id}/notes", json={"text": "VIP customer"}).status_code == 201
    eventually(lambda: [m["status"] for m in agent.get(f"/interactions/{interaction_id}/messages").json()["items"]
                        if m["direction"] == "out"] != ["queued"], what="the reply left the outbox")

    url = f"/interactions/{interaction_id}/transcript.pdf"
    text = pdf_text(desk.sup.get(url))
    readable = f"{phone[:3]} {phone[3:6]} {phone[6:9]} {phone[9:]}"  # +39 333 123 4567, as the desk shows it
    for expected in ("Rosa Bianca", readable, "WhatsAppConn1", "agent1", "Здравствуйте! 你好", "Città", "<b>&",
                     "Ciao, come posso aiutare?", "INTERNAL NOTE", "VIP customer", "UTC", "offered", "accepted",
                     "(open)", "· received"):
        assert expected in text, expected

    desk.close("agent1", interaction_id)
    text = pdf_text(desk.sup.get(url))
    assert "closed: agent1" in text and "(open)" not in text and "VIP customer" in text
    assert downloads(desk, interaction_id) == ["supervisor", "supervisor"]


def test_agents_read_only_their_own_and_unknown_is_404(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    interaction_id = desk.open_for("agent1")
    assert "hello" in pdf_text(desk["agent1"].get(f"/interactions/{interaction_id}/transcript.pdf"))
    assert_error(desk["agent2"].get(f"/interactions/{interaction_id}/transcript.pdf"), 403)
    assert_error(desk.sup.get("/interactions/99999999/transcript.pdf"), 404)
    assert_error(desk.admin.get("/interactions/99999999/transcript.pdf"), 404)
    assert pdf_text(desk.admin.get(f"/interactions/{interaction_id}/transcript.pdf"))
    assert downloads(desk, interaction_id) == ["agent1", "admin"]  # refusals are not downloads
    desk.close("agent1", interaction_id)


def test_masked_agents_never_get_the_number_or_name_in_the_pdf(desk: Desk) -> None:
    admin = desk.admin
    assert admin.put("/admin/settings", json={"masking": {"phone": "partial", "name": "full"}}).status_code == 200
    try:
        desk.online("agent1")
        phone = new_phone()
        interaction_id = desk.open_for("agent1", phone, "my number is private", name="Rosa Bianca")
        # the agent's reply names the customer: masked in what the agent reads back
        assert desk["agent1"].post(f"/interactions/{interaction_id}/messages",
                                   json={"text": "Thanks Rosa Bianca, we call you on " + phone}).status_code == 201
        url = f"/interactions/{interaction_id}/transcript.pdf"
        text = pdf_text(desk["agent1"].get(url))
        assert "my number is private" in text
        assert phone[:4] + "•••" + phone[-2:] in text
        for secret in (phone, phone.lstrip("+"), phone[4:-2], "Rosa", "Bianca"):
            assert secret not in text, secret
        seen = pdf_text(desk.sup.get(url))
        assert phone in seen and "Rosa Bianca" in seen
        desk.close("agent1", interaction_id)
    finally:
        admin.put("/admin/settings", json={"masking": {"phone": "none", "email": "none", "name": "none"}})


def test_anonymous_is_401(desk: Desk) -> None:
    assert httpx.get(desk.server.base + "/api/v1/interactions/1/transcript.pdf").status_code == 401


def test_a_huge_conversation_gives_its_latest_messages_and_says_it_is_cut(desk: Desk) -> None:
    desk.online("agent3")
    phone = new_phone()
    interaction_id = desk.open_for("agent3", phone, "message number 0")
    with httpx.Client(base_url=desk.server.base, timeout=20) as webhook:
        for n in range(1, MAX_MESSAGES + 1):
            r = webhook.post("/webhooks/sandbox/sandbox", json={"id": new_id(), "from": phone,
                                                                "text": f"message number {n}"})
            assert r.status_code == 200, r.text
    text = pdf_text(desk["agent3"].get(f"/interactions/{interaction_id}/transcript.pdf"))
    assert f"Only the latest {MAX_MESSAGES} messages are shown" in text
    assert "message number 1\n" in text and "message number 0\n" not in text
    desk.close("agent3", interaction_id)
