"""The desk's "Turn on sound" prompt in real headless Chromium (issue 16): with desktop Chrome's autoplay policy
a reloaded desk may not play the offer chime until the agent clicks, and the prompt says so until then; a
browser that lets the page play sound shows no prompt.

The tests of this module run in order (run with -x): the second goes on in the first one's window.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.api.conftest import new_id, new_phone
from tests.browser.conftest import OPEN, Browser, chrome_with
from tests.serverproc import Api, ServerProcess

DESKTOP_CHROME = "--autoplay-policy=document-user-activation-required"
PROMPT = ".xc-sound-prompt"


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[dict[str, Api]]:
    clients = {name: Api(server.base, name) for name in ("agent1", "agent2")}
    yield clients
    for client in clients.values():
        for interaction_id in client.get("/me").json()["open_interactions"]:
            client.post(f"/interactions/{interaction_id}/close", json={})
        client.put("/me/state", json={"state": "offline"})
        client.client.close()


@pytest.fixture(scope="module")
def desktop_chrome(server: ServerProcess, browsers: Callable[[str], Browser]) -> Browser:
    """A window of Chromium with desktop Chrome's autoplay policy (closed with the module's other windows)."""
    window = Browser(chrome_with(DESKTOP_CHROME), server.base, "agent1-desktop-chrome")
    OPEN.append(window)
    return window


def audio_state(browser: Browser) -> str:
    return browser.driver.execute_script("return window.xcSound.state")


def chimes(browser: Browser) -> int:
    return browser.driver.execute_script("return window.xcSound.played")


def reloaded_desk(browser: Browser, username: str, api: dict[str, Api]) -> None:
    """Sign in, go online and reload: the reloaded page has had no click or key of the agent's."""
    browser.login(username)
    r = api[username].put("/me/state", json={"state": "online"})
    assert r.status_code == 200, r.text
    browser.driver.refresh()
    browser.ready()
    browser.text("Online", tag="span")


def test_a_reloaded_desk_asks_for_sound_and_chimes_once_allowed(desktop_chrome: Browser,
                                                                 api: dict[str, Api]) -> None:
    agent = desktop_chrome
    reloaded_desk(agent, "agent1", api)
    prompt = agent.css(PROMPT)
    assert "Turn on sound" in prompt.text and "volume_off" in prompt.text
    assert prompt.get_attribute("title") == "Your browser keeps offers silent until you click here"
    assert audio_state(agent) != "running"
    agent.screenshot("desk-sound-prompt")

    agent.click(prompt, what="the sound prompt")
    agent.wait(lambda d: audio_state(agent) == "running", what="the page's audio runs")
    agent.wait_gone(By.CSS_SELECTOR, PROMPT, what="the prompt goes")
    before = chimes(agent)

    r = api["agent1"].inbound(new_id(), new_phone(), "Hello, can you hear me?", name="Sonia Suono")
    assert r.status_code == 200, r.text
    api["agent1"].wait_for_offer(timeout=10)
    agent.text("Sonia Suono")
    agent.wait(lambda d: chimes(agent) > before, what="the offer chimes")


def test_the_prompt_comes_back_when_sound_stops_and_any_key_turns_it_on(desktop_chrome: Browser) -> None:
    agent = desktop_chrome
    agent.driver.execute_script("window.xcSound.suspend()")  # as a browser may do to a page
    agent.css(PROMPT)
    ActionChains(agent.driver).send_keys("a").perform()  # a key anywhere on the page, not on the prompt
    agent.wait(lambda d: audio_state(agent) == "running", what="the page's audio runs again")
    agent.wait_gone(By.CSS_SELECTOR, PROMPT, what="the prompt goes again")
    assert not [e for e in agent.console_errors() if "favicon" not in e]


def test_a_browser_that_lets_pages_play_sound_shows_no_prompt(browsers: Callable[[str], Browser],
                                                              api: dict[str, Api]) -> None:
    agent = browsers("agent2")
    reloaded_desk(agent, "agent2", api)
    agent.wait(lambda d: audio_state(agent) == "running", what="the page's audio runs")
    prompts = agent.driver.find_elements(By.CSS_SELECTOR, PROMPT)
    assert len(prompts) == 1 and not prompts[0].is_displayed()
