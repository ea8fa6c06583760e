"""The PDF transcript of an interaction (SPEC L4), drawn with reportlab's platypus.

The renderer only shows what it is given: the interaction and its messages in the API's view shapes
(`interaction_view` with `history`, `message_view`), already masked for the viewer by the views. It never
reads the database, so it cannot leak an unmasked detail.

Text in any script: reportlab's built-in fonts stop at Latin-1, so TrueType fonts from Debian's packages are
registered (DejaVuSans from fonts-dejavu-core for Latin, Cyrillic, Greek, Arabic and many symbols; Droid Sans
Fallback from fonts-droid-fallback for Chinese, Japanese and Korean; Symbola from fonts-symbola for emoji, drawn
in black and white: reportlab draws TrueType outlines, not the color bitmaps of Noto Color Emoji). Every text
is split into runs by the first registered font that has each character; a character that none has (an emoji
newer than Unicode 9, for one) is shown as a visible replacement (□). What only modifies an emoji (joiners,
variation selectors, skin tones, tag letters) is dropped: reportlab draws no emoji sequences, so each emoji of
a sequence shows on its own; other invisible marks that no font has are dropped too.
Arabic and Hebrew lines are shaped (arabic-reshaper) and put in visual order (python-bidi) when those
packages are installed; without them the letters show unjoined, in logical order.
"""
from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.domain.phone import readable_phone
from server.errors import Unavailable

try:  # optional: Arabic letters joined and right-to-left lines in visual order
    import arabic_reshaper
    from bidi import get_display
except ImportError:  # pragma: no cover - depends on the environment
    arabic_reshaper = None
    get_display = None

FONT_DIR = Path("/usr/share/fonts/truetype")
# (registered name, candidate files, subfont index); the first file found is used.
PRIMARY = ("TranscriptSans", [FONT_DIR / "dejavu" / "DejaVuSans.ttf"])
PRIMARY_BOLD = ("TranscriptSans-Bold", [FONT_DIR / "dejavu" / "DejaVuSans-Bold.ttf"])
FALLBACKS = [
    ("TranscriptCJK", [FONT_DIR / "droid" / "DroidSansFallbackFull.ttf",
                       FONT_DIR / "wqy" / "wqy-microhei.ttc"]),
    ("TranscriptEmoji", [FONT_DIR / "ancient-scripts" / "Symbola_hint.ttf"]),
]
REPLACEMENT = "□"
DEBIAN_PACKAGES = "fonts-dejavu-core fonts-droid-fallback fonts-symbola"


class TranscriptFontsMissing(Unavailable):
    """No usable font file: the PDF cannot be drawn with non-Latin text (a 503 with this message)."""

    code = "transcript_fonts_missing"


@dataclass(frozen=True)
class _Font:
    name: str
    chars: frozenset[int]


def _register(name: str, candidates: list[Path]) -> _Font | None:
    for path in candidates:
        if path.is_file():
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0) if path.suffix == ".ttc"
                                        else TTFont(name, str(path)))
            font = pdfmetrics.getFont(name)
            return _Font(name, frozenset(font.face.charToGlyph))
    return None


class FontSet:
    """The registered fonts and, per character, which one draws it."""

    def __init__(self) -> None:
        regular = _register(*PRIMARY)
        bold = _register(*PRIMARY_BOLD)
        if regular is None:
            raise TranscriptFontsMissing(
                f"No font for PDF transcripts: {PRIMARY[1][0]} is missing (install the Debian packages "
                f"{DEBIAN_PACKAGES}).")
        self.regular = [regular, *(f for f in (_register(n, c) for n, c in FALLBACKS) if f is not None)]
        self.bold = [bold or regular, *self.regular[1:]]
        self._choice: dict[tuple[bool, str], str | None] = {}

    def font_of(self, char: str, bold: bool = False) -> str | None:
        key = (bold, char)
        if key not in self._choice:
            code = ord(char)
            self._choice[key] = next((f.name for f in (self.bold if bold else self.regular) if code in f.chars), None)
        return self._choice[key]

    def markup(self, text: str, bold: bool = False) -> str:
        """Paragraph markup for plain text: `<font>` runs per covering font, escaped, newlines as breaks."""
        out: list[str] = []
        run: list[str] = []
        current: str | None = None

        plain = None if bold else self.regular[0].name  # the styles' font: no tag needed

        def flush() -> None:
            if run and current == plain:
                out.append(escape("".join(run)))
                run.clear()
            elif run:
                out.append(f'<font name="{current}">{escape("".join(run))}</font>')
                run.clear()

        for line_no, line in enumerate(_visual_lines(text)):
            if line_no:
                flush()
                out.append("<br/>")
            for char in line:
                if char == "\t":
                    char = " "
                elif unicodedata.category(char) == "Cc" or _emoji_modifier(char):
                    continue
                name = self.font_of(char, bold)
                if name is None:
                    if _invisible(char):
                        continue
                    char = REPLACEMENT
                    name = self.font_of(char, bold)
                    if name is None:
                        char, name = "?", self.regular[0].name
                if name != current:
                    flush()
                    current = name
                run.append(char)
        flush()
        return "".join(out)


def _emoji_modifier(char: str) -> bool:
    """The zero-width joiner, variation selectors, skin tones and tag letters: parts of an emoji sequence that
    a font with a glyph for them (Symbola has some) would draw as a box or a swatch beside the emoji."""
    code = ord(char)
    return (code == 0x200D or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0000 <= code <= 0xE007F)


def _invisible(char: str) -> bool:
    """Combining marks and format characters: nothing to show on their own."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf")


def _rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _visual_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if arabic_reshaper is None or get_display is None:
        return lines
    return [get_display(arabic_reshaper.reshape(line)) if any(_rtl(c) for c in line) else line for line in lines]


_registering = threading.Lock()


@lru_cache(maxsize=1)
def fonts() -> FontSet:
    """Loaded once per process; raises TranscriptFontsMissing when no font file is found. Registering
    changes reportlab's shared state (its font registry): one thread at a time. Laying a document out needs no
    lock (a TrueType font's subsets are kept per document); saving it does (`_SavedOneAtATime`)."""
    with _registering:
        return FontSet()


_saving = threading.Lock()


class _SavedOneAtATime(Canvas):
    """A canvas whose save takes turns: saving subsets each TrueType font from its face, which every
    document shares and which reads its file through a position of its own (two saves at once read each
    other's glyphs: an IndexError, or a garbled font)."""

    def save(self) -> None:
        with _saving:
            super().save()


# --- the document ----------------------------------------------------------------------------------

DELIVERY = {"queued": "queued", "sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed",
            "received": "received"}
HISTORY = {"offered": "offered", "rejected": "rejected", "timed_out": "timed out", "timeout": "timed out",
           "accepted": "accepted", "transfer_requested": "transfer requested",
           "transfer_accepted": "transfer accepted", "transfer_rejected": "transfer rejected",
           "transfer_timed_out": "transfer timed out", "transfer_failed": "transfer failed",
           "transfer_cancelled": "transfer cancelled",
           "transferred": "transferred", "returned": "returned to the queue", "closed": "closed"}


def utc(value: str | None) -> str:
    """An ISO time from the views as `YYYY-MM-DD HH:MM:SS UTC` (empty when there is none)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def size_text(size: int | None) -> str:
    if size is None:
        return "size unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def agents_of(interaction: dict[str, Any]) -> list[str]:
    """Who owned it, in order: the first agent, whoever accepted it in the routing history, the owner."""
    seen: list[str] = []
    for event in interaction.get("history") or []:
        if event["kind"] in ("accepted", "transfer_accepted"):
            seen.extend(a for a in event.get("agents") or [] if a)
    ordered: list[str] = []
    for name in [interaction.get("first_agent"), *seen, interaction.get("owner")]:
        if name and name not in ordered:
            ordered.append(name)
    return ordered


def delivery_of(message: dict[str, Any]) -> str:
    if message["direction"] == "note":
        return "internal note"
    state = DELIVERY.get(message["status"], message["status"] or "")
    if message["status"] == "failed" and message.get("error"):
        state += f": {message['error']}"
    return state


def sender_of(message: dict[str, Any]) -> str:
    who = message.get("sender") or ""
    role = {"in": "Customer", "out": "Agent", "note": "Internal note by"}.get(message["direction"], "")
    return f"{role} {who}".strip()


class _Styles:
    def __init__(self, f: FontSet) -> None:
        base = f.regular[0].name
        self.title = ParagraphStyle("title", fontName=base, fontSize=15, leading=19, spaceAfter=4)
        self.h2 = ParagraphStyle("h2", fontName=base, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=3)
        self.cell = ParagraphStyle("cell", fontName=base, fontSize=9, leading=11.5, wordWrap="CJK")
        self.small = ParagraphStyle("small", fontName=base, fontSize=8, leading=10, wordWrap="CJK",
                                    textColor=colors.HexColor("#37474f"))
        self.message = ParagraphStyle("message", fontName=base, fontSize=9, leading=12,
                                      alignment=TA_LEFT, spaceBefore=3, spaceAfter=2, borderPadding=3)
        self.inbound = ParagraphStyle("in", parent=self.message, leftIndent=2, rightIndent=40)
        self.outbound = ParagraphStyle("out", parent=self.message, leftIndent=40, rightIndent=2,
                                       backColor=colors.HexColor("#eef6ee"))
        self.note = ParagraphStyle("note", parent=self.message, leftIndent=20, rightIndent=20,
                                   backColor=colors.HexColor("#fff4d6"), borderColor=colors.HexColor("#e0a800"),
                                   borderWidth=0.5)
        # Breaking anywhere (needed for CJK and for very long words) is several times slower than breaking
        # at spaces: used only for the messages that need it.
        self.anywhere = {name: ParagraphStyle(name + "-cjk", parent=style, wordWrap="CJK")
                         for name, style in (("in", self.inbound), ("out", self.outbound), ("note", self.note))}


def _meta_line(f: FontSet, message: dict[str, Any]) -> str:
    state = delivery_of(message)
    color = "#b00020" if message["status"] == "failed" else ("#8a6d00" if message["direction"] == "note" else "#546e7a")
    head = f.markup(utc(message.get("created_at")) + " · ", bold=False)
    who = f.markup(sender_of(message), bold=True)
    label = f.markup(("INTERNAL NOTE · " if message["direction"] == "note" else "") + state)
    return f'<font size="7.5" color="#546e7a">{head}</font>{who} <font size="7.5" color="{color}">· {label}</font>'


def _attachment_line(f: FontSet, message: dict[str, Any]) -> str:
    file = message.get("attachment")
    if not file:
        return ""
    text = f"Attachment: {file.get('filename') or 'file'} ({file.get('content_type') or 'unknown type'}, " \
           f"{size_text(file.get('size'))})"
    if file.get("state") and file["state"] != "stored":
        text += f" [{file['state']}{': ' + file['error'] if file.get('error') else ''}]"
    return f'<font size="8" color="#1565c0">{f.markup(text)}</font>'


LONG_WORD = 40


def _cjk(code: int) -> bool:
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


def _breaks_anywhere(text: str) -> bool:
    """Text with CJK characters (no spaces between words) or a word too long for a line."""
    return any(_cjk(ord(c)) for c in text) or \
        any(len(word) > LONG_WORD for word in text.split())


def message_flowable(f: FontSet, styles: _Styles, message: dict[str, Any]) -> Paragraph:
    parts = [_meta_line(f, message)]
    if message.get("kind") == "template":
        parts.append(f'<font size="7.5" color="#546e7a">{f.markup("(template)")}</font>')
    if message.get("text"):
        parts.append(f.markup(message["text"]))
    attachment = _attachment_line(f, message)
    if attachment:
        parts.append(attachment)
    if _breaks_anywhere(message.get("text") or ""):
        style = styles.anywhere.get(message["direction"], styles.anywhere["note"])
    else:
        style = {"in": styles.inbound, "out": styles.outbound}.get(message["direction"], styles.note)
    return Paragraph("<br/>".join(parts), style)


def _header(f: FontSet, styles: _Styles, interaction: dict[str, Any], notes_included: bool) -> Table:
    contact = interaction.get("contact") or {}
    phone = readable_phone(contact.get("phone") or "")
    contact_text = " ".join(x for x in (contact.get("name") or "", phone) if x) or "—"
    rows = [
        ("Contact", contact_text),
        ("Account", f"{interaction.get('account') or ''} ({interaction.get('provider') or ''})"),
        ("Queue", interaction.get("queue") or "—"),
        ("Agents", ", ".join(agents_of(interaction)) or "—"),
        ("Status", interaction.get("status") or ""),
        ("Started", utc(interaction.get("created_at")) or "—"),
        ("Accepted", utc(interaction.get("accepted_at")) or "—"),
        ("Closed", utc(interaction.get("closed_at")) or "— (open)"),
        ("Disposition", interaction.get("disposition") or "—"),
        ("Tags", ", ".join(interaction.get("tags") or []) or "—"),
        ("Internal notes", "included" if notes_included else "not included"),
    ]
    data = [[Paragraph(f.markup(label, bold=True), styles.cell), Paragraph(f.markup(str(value)), styles.cell)]
            for label, value in rows]
    table = Table(data, colWidths=[32 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cfd8dc")),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    return table


def _history(f: FontSet, styles: _Styles, history: list[dict[str, Any]]) -> list[Any]:
    if not history:
        return [Paragraph(f.markup("No routing events."), styles.small)]
    lines = []
    for event in history:
        text = f"{utc(event.get('at'))}  {HISTORY.get(event['kind'], event['kind'].replace('_', ' '))}"
        if event.get("agents"):
            text += ": " + ", ".join(event["agents"])
        if event.get("detail"):
            text += f" ({event['detail']})"
        lines.append(f.markup(text))
    return [Paragraph("<br/>".join(lines), styles.small)]


def render_transcript(interaction: dict[str, Any], messages: list[dict[str, Any]], *, viewer: str = "",
                      notes_included: bool = True, left_out: bool = False,
                      generated_at: datetime | None = None) -> bytes:
    """The PDF (bytes) of an interaction view (with `history` and `tags`) and its message views, oldest
    first; `left_out`: older messages were left out (the PDF says so). Safe to call from several threads at
    once. Raises TranscriptFontsMissing when no font file is installed."""
    return _render(interaction, messages, viewer, notes_included, left_out, generated_at)


def _render(interaction: dict[str, Any], messages: list[dict[str, Any]], viewer: str, notes_included: bool,
            left_out: bool, generated_at: datetime | None) -> bytes:
    f = fonts()
    styles = _Styles(f)
    generated = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    title = f"Transcript of interaction #{interaction['id']}"
    story: list[Any] = [
        Paragraph(f.markup(title, bold=True), styles.title),
        Paragraph(f.markup(f"Generated {generated.strftime('%Y-%m-%d %H:%M:%S UTC')}"
                           + (f" for {viewer}" if viewer else "") + ". All times are UTC."), styles.small),
        Spacer(1, 3 * mm),
        _header(f, styles, interaction, notes_included),
        Paragraph(f.markup("Routing history", bold=True), styles.h2),
        *_history(f, styles, interaction.get("history") or []),
        Paragraph(f.markup(f"Messages ({len(messages)})", bold=True), styles.h2),
    ]
    if left_out:
        story.append(Paragraph(f.markup(f"Only the latest {len(messages)} messages are shown: older ones are left "
                                        "out of this transcript (the conversation keeps them all)."), styles.small))
    if not messages:
        story.append(Paragraph(f.markup("No messages."), styles.small))
    story.extend(message_flowable(f, styles, m) for m in messages)
    base = f.regular[0].name

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(base, 7.5)
        canvas.setFillColor(colors.HexColor("#78909c"))
        canvas.drawString(15 * mm, 9 * mm, f"Interaction #{interaction['id']} · transcript")
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=title, author="Contact center",
                            subject=f"Interaction {interaction['id']}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_SavedOneAtATime)
    return buffer.getvalue()
