"""The Interactions page in headless Chromium (SPEC L1-L4): filter the list, open a row, download its PDF
transcript; screenshots of the list and a PNG of the transcript's first page (pdftoppm)."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import SCREENSHOTS, Browser
from tests.serverproc import ServerProcess


def inbound(server: ServerProcess, message_id: str, phone: str, text: str, name: str) -> int:
    r = httpx.post(f"{server.base}/webhooks/sandbox/sandbox",
                   json={"id": message_id, "from": phone, "text": text, "name": name}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["interaction_id"]


@pytest.fixture(scope="module")
def listing(server: ServerProcess, browsers, tmp_path_factory) -> tuple[Browser, dict[str, int], Path]:
    ids = {name: inbound(server, f"list-{i}-{time.time_ns()}", f"+3933355500{i:02d}", text, name)
           for i, (name, text) in enumerate([("Giorgio Neri", "Where is parcel 7781?"),
                                             ("Sofia Galli", "Я хочу изменить заказ ✈️"),
                                             ("Omar Haddad", "مرحبا، أريد المساعدة في طلبي"),
                                             ("Li Wei", "你好，我的订单还没到")])}
    supervisor = browsers("supervisor")
    downloads = tmp_path_factory.mktemp("downloads")
    supervisor.allow_downloads(downloads)
    supervisor.login("supervisor", next_path="/interactions")
    return supervisor, ids, downloads


def test_the_list_is_filtered_a_row_opens_and_its_transcript_downloads(listing) -> None:
    supervisor, ids, downloads = listing
    supervisor.text("Giorgio Neri")
    supervisor.screenshot("interactions-list")
    search = supervisor.css("input[placeholder='Search name, number or message text']")
    supervisor.type_into(search, "7781")
    supervisor.click(supervisor.button("search"))
    supervisor.wait(lambda d: len(supervisor.all_css("tbody tr")) == 1, what="one row left")
    assert "Giorgio Neri" in supervisor.all_css("tbody tr")[0].text

    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)  # as a person clears it (the input then tells the server)
    supervisor.click(supervisor.button("search"))
    supervisor.wait(lambda d: len(supervisor.all_css("tbody tr")) >= 4, what="all rows back")
    supervisor.click(lambda: supervisor.find(By.XPATH, "//tbody/tr[td[contains(., 'Li Wei')]]"))
    supervisor.text("你好，我的订单还没到")
    supervisor.text("Routing history")
    supervisor.screenshot("interactions-row")
    supervisor.click(supervisor.button("Transcript"))
    pdf = downloads / f"interaction-{ids['Li Wei']}-transcript.pdf"
    supervisor.downloaded(pdf, min_size=1001)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (Debian's poppler-utils) is needed to picture the transcript"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(SCREENSHOTS / "transcript-page-1")], check=True, timeout=60)
    assert (SCREENSHOTS / "transcript-page-1.png").stat().st_size > 5000
