"""In Chromium: the security headers leave the desk working (a file sent through the page's own upload route,
within the attachment limit, with no policy violation in the console), and no other site can frame a page."""
from __future__ import annotations

import uuid
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.api.conftest import eventually
from tests.browser.conftest import Browser
from tests.serverproc import Api, ServerProcess

CUSTOMER = "Greta Conti"


def _violations(browser: Browser) -> list[str]:
    return [entry["message"] for entry in browser.driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "X-Frame-Options" in entry["message"]]


def test_a_file_goes_through_the_page_upload_and_no_policy_is_violated(server: ServerProcess, browsers,
                                                                        tmp_path: Path) -> None:
    api = Api(server.base, "agent1")
    api.put("/me/state", json={"state": "online"})
    r = api.inbound(f"wamid.{uuid.uuid4().hex}", "+393471239876", "Please send the form", name=CUSTOMER)
    interaction_id = r.json()["interaction_id"]
    api.wait_for_offer(interaction_id)
    assert api.post(f"/interactions/{interaction_id}/accept").status_code == 200

    agent = browsers("agent1")
    agent.login("agent1")
    agent.click(lambda: agent.text(CUSTOMER), what="the conversation's tab")
    agent.text("Please send the form")
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF-1.4\n" + b"0" * 4096)
    agent.driver.execute_script("document.querySelectorAll('.q-uploader').forEach(e => e.classList.remove('hidden'))")
    agent.driver.find_element(By.CSS_SELECTOR, ".q-uploader input[type=file]").send_keys(str(form))
    sent = eventually(lambda: [m for m in api.get(f"/interactions/{interaction_id}/messages").json()["items"]
                               if (m.get("attachment") or {}).get("filename") == "form.pdf"], timeout=10,
                      what="the file is stored")
    assert sent[0]["direction"] == "out"
    agent.text("form.pdf")
    assert _violations(agent) == []
    api.post(f"/interactions/{interaction_id}/close", json={})
    api.put("/me/state", json={"state": "offline"})


def test_no_page_can_be_framed_not_even_by_our_own(server: ServerProcess, browsers) -> None:
    browser = browsers("framer")
    browser.open("/login")
    browser.driver.get_log("browser")  # what loading the page logged
    browser.driver.execute_script("const frame = document.createElement('iframe'); frame.id = 'probe';"
                                  "frame.onload = () => { window.probeLoaded = true; };"
                                  "frame.src = '/login'; document.body.appendChild(frame);")
    browser.wait(lambda d: d.execute_script("return window.probeLoaded === true"), what="the frame settles")
    # Refused, the frame holds the browser's error page (another origin): its document is out of reach.
    assert browser.driver.execute_script("return document.getElementById('probe').contentDocument") is None
    assert any("frame-ancestors 'none'" in message for message in _violations(browser))
