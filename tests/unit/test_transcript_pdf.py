"""The PDF transcript renderer (SPEC L4): any script, emoji and markup characters draw without breaking,
internal notes are marked, delivery states and attachments are shown, missing fonts fail clearly."""
from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from server.services import transcript_pdf
from server.services.transcript_pdf import (REPLACEMENT, TranscriptFontsMissing, agents_of, fonts,
                                            render_transcript, size_text)

T0 = "2025-03-01T09:00:00Z"


def interaction(**over):
    view = {"id": 12, "status": "closed", "owner": "agent2", "first_agent": "agent1", "queue": "WhatsAppConn1",
            "account": "sandbox", "provider": "sandbox", "contact": {"id": None, "name": "Rosa Bianca",
                                                                      "phone": "+393331234567"},
            "created_at": T0, "accepted_at": "2025-03-01T09:00:20Z", "closed_at": "2025-03-01T10:00:00Z",
            "disposition": "Solved", "tags": ["vip", "refund"],
            "history": [{"kind": "offered", "agents": ["agent1"], "detail": "", "at": T0},
                        {"kind": "rejected", "agents": ["agent3"], "detail": "", "at": T0},
                        {"kind": "timed_out", "agents": ["agent4"], "detail": "nobody accepted in time", "at": T0},
                        {"kind": "accepted", "agents": ["agent1"], "detail": "", "at": T0},
                        {"kind": "transfer_accepted", "agents": ["agent2"], "detail": "", "at": T0},
                        {"kind": "closed", "agents": ["agent2"], "detail": "Solved", "at": "2025-03-01T10:00:00Z"}]}
    view.update(over)
    return view


def message(i, text, direction="in", status="received", **over):
    m = {"id": i, "direction": direction, "kind": "text", "text": text, "status": status,
         "sender": {"in": "Rosa Bianca", "out": "Agent One", "note": "Agent One"}[direction], "error": None,
         "created_at": f"2025-03-01T09:{i:02d}:00Z", "attachment": None}
    m.update(over)
    return m


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


SCRIPTS = {
    "accented": "Città perché già Ærøskøbing naïve façade",
    "cyrillic": "Здравствуйте, мой заказ",
    "chinese": "你好，我的订单还没有到",
    "greek": "ευχαριστώ πολύ",
}


def test_every_script_draws_with_a_font_that_has_it() -> None:
    messages = [message(i, text) for i, text in enumerate(SCRIPTS.values(), 1)]
    text = text_of(render_transcript(interaction(), messages))
    for sample in SCRIPTS.values():
        assert sample in text
    f = fonts()
    for sample in SCRIPTS.values():
        assert all(f.font_of(c) is not None for c in sample if not c.isspace()), sample
    assert f.font_of("中") != f.font_of("a")  # a fallback font for CJK, per character run


def test_arabic_and_emoji_never_break_it_and_unknown_glyphs_are_replaced() -> None:
    messages = [message(1, "مرحبا، أريد أن أعرف حالة طلبي"), message(2, "thanks 👍🏽 👨‍👩‍👧 🇮🇹 ok", "out", "read")]
    pdf = render_transcript(interaction(), messages)
    text = text_of(pdf)
    assert "thanks" in text and "ok" in text
    markup = fonts().markup("a 🥰 b")  # Unicode 11: newer than the emoji font
    assert REPLACEMENT in markup  # a glyph no registered font has becomes a visible replacement
    assert "\U0001F970" not in markup


def test_markup_characters_are_escaped() -> None:
    messages = [message(1, "<b>bold?</b> & <font name='x'>  a > b < c"), message(2, "line one\nline two\r\nthree")]
    text = text_of(render_transcript(interaction(), messages))
    assert "<b>bold?</b> & <font name='x'>" in text and "a > b < c" in text
    assert "line one\nline two\nthree" in text
    assert fonts().markup("&lt; &") == "&amp;lt; &amp;"


def test_header_messages_states_attachments_notes_and_history() -> None:
    messages = [
        message(1, "hello"),
        message(2, "we sent it", "out", "delivered"),
        message(3, "will not arrive", "out", "failed", error="131047: re-engagement message"),
        message(4, "here is the invoice", "out", "read", kind="document",
                attachment={"content_type": "application/pdf", "filename": "invoice.pdf", "size": 2048,
                            "state": "stored", "error": None, "url": None}),
        message(5, "customer is a VIP", "note", "internal"),
    ]
    text = text_of(render_transcript(interaction(), messages, viewer="Super Visor"))
    for expected in ("Rosa Bianca", "+39 333 123 4567", "WhatsAppConn1", "agent1, agent2", "Solved", "vip, refund",
                     "2025-03-01 09:00:00 UTC", "2025-03-01 10:00:00 UTC", "Super Visor",
                     "· received", "· delivered", "failed: 131047: re-engagement message", "· read",
                     "invoice.pdf (application/pdf, 2.0 KB)", "INTERNAL NOTE", "customer is a VIP",
                     "offered: agent1", "rejected: agent3", "timed out: agent4", "transfer accepted: agent2",
                     "closed: agent2 (Solved)", "Messages (5)"):
        assert expected in text, expected


def test_an_open_interaction_and_an_empty_one() -> None:
    text = text_of(render_transcript(interaction(status="open", closed_at=None, disposition=None, tags=[],
                                                 history=[]), [], notes_included=False))
    assert "(open)" in text and "No messages." in text and "No routing events." in text
    assert "not included" in text


def test_long_words_and_long_messages_wrap_over_pages() -> None:
    messages = [message(1, "x" * 4000), message(2, "中" * 4000), message(3, "word " * 800)]
    reader = PdfReader(io.BytesIO(render_transcript(interaction(), messages)))
    assert len(reader.pages) >= 3


def test_agents_come_from_first_agent_history_and_owner() -> None:
    assert agents_of(interaction()) == ["agent1", "agent2"]
    assert agents_of({"first_agent": None, "owner": None, "history": []}) == []
    assert size_text(100) == "100 bytes" and size_text(3 * 1024 * 1024) == "3.0 MB" and size_text(None)


def test_no_font_file_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(transcript_pdf, "PRIMARY", ("MissingSans", [tmp_path / "DejaVuSans.ttf"]))
    fonts.cache_clear()
    try:
        with pytest.raises(TranscriptFontsMissing, match="fonts-dejavu-core"):
            render_transcript(interaction(), [])
    finally:
        monkeypatch.undo()
        fonts.cache_clear()
    assert render_transcript(interaction(), []).startswith(b"%PDF")


def test_a_cut_transcript_says_so() -> None:
    text = text_of(render_transcript(interaction(), [message(1, "the latest one")], left_out=True))
    assert "Only the latest 1 messages are shown" in text and "the latest one" in text
    assert "Only the latest" not in text_of(render_transcript(interaction(), [message(1, "all there is")]))


def test_transcripts_drawn_at_once_read_as_drawn_one_by_one() -> None:
    """The renderer keeps no drawing state of its own between threads (fonts are registered once)."""
    fonts.cache_clear()
    views = [(interaction(id=n), [message(i, f"{SCRIPTS[k]} {n}-{i}") for i, k in enumerate(SCRIPTS)])
             for n in range(6)]
    alone = [text_of(render_transcript(view, messages)) for view, messages in views]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda args: text_of(render_transcript(*args)), views))
    assert [t.split("Generated")[1].split("\n", 1)[1] for t in together] == \
        [t.split("Generated")[1].split("\n", 1)[1] for t in alone]


def test_saves_take_turns_for_the_font_faces_every_document_shares(monkeypatch) -> None:
    """Saving subsets each TrueType font from a face all documents share, which reads its file through a
    position of its own: two saves at once read each other's glyphs (an IndexError, or a garbled font; seen
    beside CPU hogs). Each save is held a while here, so that saves at once would overlap for sure."""
    fonts()
    inside, most = 0, 0
    unpatched = Canvas.save

    def slow_save(canvas: Canvas) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        time.sleep(0.05)
        inside -= 1
        unpatched(canvas)

    monkeypatch.setattr(Canvas, "save", slow_save)
    views = [(interaction(id=n), [message(1, SCRIPTS["chinese"] + f" {n}")]) for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = list(pool.map(lambda args: render_transcript(*args), views))
    assert most == 1
    assert all(pdf.startswith(b"%PDF") for pdf in drawn)
