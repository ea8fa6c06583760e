"""Emoji in a PDF transcript downloaded from the Interactions page print as emoji, not as empty boxes: the
emoji font is embedded, and in the picture of the page (pdftoppm) the emoji of the desk's picker are
different pictures from one another and from the empty box □. Writes docs/screenshots/transcript-emoji.png."""
from __future__ import annotations

import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By

from server.ui.composer import EMOJI
from tests.browser.conftest import SCREENSHOTS, Browser
from tests.serverproc import ServerProcess

CUSTOMER = "Emma Emoji"
PICKED = [e for e in EMOJI if e in ("🚚", "📦", "🎉", "🛒", "👍", "🔥")]
TEXT = "Parcel " + " ".join(PICKED) + " ok □"  # each emoji a word of its own; the box for reference
DPI = 300  # the page pictured for the comparison (finer than the PNG, so that glyphs fill many pixels)
PNG_DPI = 110
GRID = 12  # glyph pictures are compared as GRID x GRID cells of mean darkness


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (Debian's poppler-utils) is needed to picture the transcript"
    return path


@pytest.fixture(scope="module")
def transcript(server: ServerProcess, browsers, tmp_path_factory) -> Path:
    r = httpx.post(f"{server.base}/webhooks/sandbox/sandbox", timeout=10,
                   json={"id": f"emoji-{time.time_ns()}", "from": "+393335559911", "text": TEXT, "name": CUSTOMER})
    assert r.status_code == 200, r.text
    interaction_id = r.json()["interaction_id"]
    supervisor: Browser = browsers("supervisor")
    downloads = tmp_path_factory.mktemp("downloads")
    supervisor.allow_downloads(downloads)
    supervisor.login("supervisor", next_path="/interactions")
    supervisor.click(lambda: supervisor.find(By.XPATH, f"//tbody/tr[td[contains(., '{CUSTOMER}')]]"))
    supervisor.text("Routing history")
    supervisor.click(supervisor.button("Transcript"))
    pdf = downloads / f"interaction-{interaction_id}-transcript.pdf"
    supervisor.downloaded(pdf, min_size=1001)
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def words(pdf: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The first page's words with their boxes in points, in reading order."""
    out = subprocess.run([tool("pdftotext"), "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                         capture_output=True, timeout=60).stdout
    root = ET.fromstring(out)
    return [(w.text or "", tuple(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))  # type: ignore[misc]
            for w in root.iter("{http://www.w3.org/1999/xhtml}word")]


def page_picture(pdf: Path, target: Path) -> tuple[int, int, bytes]:
    """The first page in grey at DPI, as (width, height, one byte per pixel), and as a PNG at `target`."""
    subprocess.run([tool("pdftoppm"), "-png", "-r", str(PNG_DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(target.with_suffix(""))], check=True, timeout=60)
    pgm = subprocess.run([tool("pdftoppm"), "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf)],
                         check=True, capture_output=True, timeout=60).stdout
    header = pgm.split(maxsplit=4)  # P5, width, height, maxval, pixels
    assert header[0] == b"P5" and header[3] == b"255", pgm[:20]
    return int(header[1]), int(header[2]), header[4]


def glyph(picture: tuple[int, int, bytes], box: tuple[float, float, float, float]) -> list[float]:
    """The darkness (0 white .. 1 black) of GRID x GRID cells over a word's box on the page picture."""
    width, _, pixels = picture
    x0, y0, x1, y1 = (round(v * DPI / 72) for v in box)
    cells = []
    for row in range(GRID):
        ys = span(y0, y1, row)
        for col in range(GRID):
            values = [pixels[y * width + x] for y in ys for x in span(x0, x1, col)]
            cells.append(1 - sum(values) / (255 * len(values)))
    return cells


def span(start: int, end: int, part: int) -> range:
    """The pixels of one of GRID equal parts of start..end (at least one)."""
    first = start + (end - start) * part // GRID
    return range(first, max(start + (end - start) * (part + 1) // GRID, first + 1))


def distance(a: list[float], b: list[float]) -> float:
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)


def test_emoji_print_as_their_own_pictures_not_as_empty_boxes(transcript: Path) -> None:
    fonts = subprocess.run([tool("pdffonts"), str(transcript)], check=True, capture_output=True, text=True,
                           timeout=60).stdout
    assert any("Symbola" in line and " yes " in line for line in fonts.splitlines()), fonts  # embedded

    found = words(transcript)
    start = next(i for i, (text, _) in enumerate(found) if text == "Parcel")
    line = found[start:start + len(PICKED) + 3]
    assert line[-2][0] == "ok" and line[-1][0] == "□", line
    reference = line[-1][1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture = page_picture(transcript, SCREENSHOTS / "transcript-emoji.png")
    box = glyph(picture, reference)
    emoji = [glyph(picture, bounds) for _, bounds in line[1:1 + len(PICKED)]]
    for name, cells in zip(PICKED, emoji):
        assert sum(cells) / len(cells) > 0.05, f"{name} left no ink"
        assert distance(cells, box) > 0.12, f"{name} prints as the empty box"
    for i in range(len(emoji)):
        for j in range(i + 1, len(emoji)):
            assert distance(emoji[i], emoji[j]) > 0.05, f"{PICKED[i]} and {PICKED[j]} print alike"
    assert (SCREENSHOTS / "transcript-emoji.png").stat().st_size > 5000
