"""Emoji in PDF transcripts draw with the black-and-white emoji font, not as empty boxes: every emoji of
the composer's picker has a glyph in it, and the parts of an emoji sequence are not drawn beside it."""
from __future__ import annotations

from reportlab.pdfbase import pdfmetrics

from server.services.transcript_pdf import REPLACEMENT, fonts
from server.ui.composer import EMOJI

EMOJI_FONT = "TranscriptEmoji"


def test_emoji_the_text_font_lacks_fall_back_to_the_emoji_font() -> None:
    f = fonts()
    assert f.font_of("🚚") == EMOJI_FONT and f.font_of("a") != EMOJI_FONT
    assert f.markup("ok 🚚📦 fine") == 'ok <font name="TranscriptEmoji">🚚📦</font> fine'


def test_every_emoji_of_the_picker_maps_to_a_glyph() -> None:
    f = fonts()
    for emoji in EMOJI:
        base = emoji[0]
        name = f.font_of(base)
        assert name is not None, emoji
        assert pdfmetrics.getFont(name).face.charToGlyph[ord(base)] != 0, emoji  # glyph 0: .notdef, the box
        assert REPLACEMENT not in f.markup(emoji), emoji
    assert sum(f.font_of(emoji[0]) == EMOJI_FONT for emoji in EMOJI) > len(EMOJI) // 2


def test_modifiers_of_an_emoji_sequence_are_dropped() -> None:
    markup = fonts().markup("👍🏽 ❤️ 👨‍👩‍👧")
    for modifier in ("\U0001F3FD", "\uFE0F", "\u200D"):
        assert modifier not in markup
    assert "👍" in markup and "👨" in markup and REPLACEMENT not in markup
