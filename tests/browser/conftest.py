"""Real-browser tests of the agent desktop and the customer simulator (SPEC D1-D10, W6).

Every module gets its own `python -m server --demo` (the `demo_server` fixture of tests/conftest.py) and
drives it with Selenium in Debian's headless Chromium (packages `chromium` and `chromium-driver`; set
`SE_OFFLINE=true` so that Selenium Manager never tries to download a browser). Chromium's fake media
device stands in for a microphone.

NiceGUI keeps `.mark()` markers on the server (they are not rendered into the DOM), so the browser is
driven by what a person sees: visible text, icons (Material icon ligatures are text), input labels and
the product's CSS classes (`xc-tab`, `xc-bubble xc-in/xc-out/xc-note`, ...).

Every wait is explicit (WebDriverWait with a timeout); screenshots of the main screens go to
docs/screenshots/.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException, ElementNotInteractableException,
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.serverproc import ROOT, ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,768",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--autoplay-policy=no-user-gesture-required")
SCREENSHOTS = ROOT / "docs" / "screenshots"
WAIT = 20.0  # seconds: the longest any single step of the UI may take (generous: the suite runs in two
# workers, also beside other loads; a step takes only as long as the page does)

os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download a browser or driver

IGNORED = (StaleElementReferenceException, ElementNotInteractableException, ElementClickInterceptedException)


@pytest.fixture(scope="session", autouse=True)
def chromium_installed() -> None:
    """The browser tests need Debian's chromium and chromium-driver (`.ci/run` installs them): without
    them they fail, rather than pass unseen."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.fail(f"Install Debian's chromium and chromium-driver for the browser tests: missing {missing}")


def xpath_literal(text: str) -> str:
    """`text` as an XPath string literal (quotes of either kind allowed)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


class Browser:
    """One Chromium window on the product, with the waits and lookups the tests need."""

    def __init__(self, driver: webdriver.Chrome, base: str, name: str) -> None:
        self.driver = driver
        self.base = base
        self.name = name
        self.user: str | None = None

    # --- waiting -------------------------------------------------------------------------------
    def wait(self, condition: Callable[[webdriver.Chrome], Any], timeout: float = WAIT, what: str = "") -> Any:
        """Poll `condition(driver)` until it is truthy (stale or covered elements are retried)."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=IGNORED).until(
            condition, message=f"[{self.name}] not reached within {timeout}s: {what}")

    def wait_gone(self, by: str, selector: str, timeout: float = WAIT, what: str = "") -> None:
        self.wait(lambda d: not [e for e in d.find_elements(by, selector) if e.is_displayed()], timeout,
                  what or f"{selector} disappears")

    def find(self, by: str, selector: str, timeout: float = WAIT, within: WebElement | None = None,
             what: str = "") -> WebElement:
        """The first visible element matching, once there is one."""
        root = within or self.driver

        def visible(_: Any) -> WebElement | bool:
            for element in root.find_elements(by, selector):
                if element.is_displayed():
                    return element
            return False

        return self.wait(visible, timeout, what or selector)

    def css(self, selector: str, timeout: float = WAIT, within: WebElement | None = None) -> WebElement:
        return self.find(By.CSS_SELECTOR, selector, timeout, within)

    def all_css(self, selector: str, within: WebElement | None = None) -> list[WebElement]:
        return [e for e in (within or self.driver).find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]

    def text(self, text: str, timeout: float = WAIT, tag: str = "*") -> WebElement:
        """The visible element whose own text contains `text`."""
        return self.find(By.XPATH, f"//{tag}[not(self::script)][text()[contains(., {xpath_literal(text)})]]",
                         timeout, what=f"text {text!r}")

    def has_text(self, text: str) -> bool:
        return bool([e for e in self.driver.find_elements(
            By.XPATH, f"//*[not(self::script)][text()[contains(., {xpath_literal(text)})]]") if e.is_displayed()])

    def button(self, label: str, within: WebElement | None = None, timeout: float = WAIT) -> WebElement:
        """A visible button by its label or its Material icon's name."""
        return self.find(By.XPATH, f".//button[.//*[normalize-space(text())={xpath_literal(label)}]]", timeout,
                         within=within or self.driver.find_element(By.TAG_NAME, "body"), what=f"button {label!r}")

    def click(self, element_or_getter: WebElement | Callable[[], WebElement], what: str = "") -> None:
        """Click, retrying while the element is covered (an animation) or re-rendered."""
        def clicked(_: Any) -> bool:
            element = element_or_getter() if callable(element_or_getter) else element_or_getter
            element.click()
            return True

        self.wait(clicked, what=what or "click")

    def notice(self, text: str, timeout: float = WAIT) -> WebElement:
        """A Quasar notification containing `text`."""
        return self.find(By.XPATH, "//div[contains(concat(' ', normalize-space(@class), ' '), ' q-notification ')]"
                                   f"[contains(., {xpath_literal(text)})]",
                         timeout, what=f"notice {text!r}")

    # --- downloads -----------------------------------------------------------------------------
    def allow_downloads(self, folder: Path) -> None:
        """Files this browser downloads go to `folder` (for the whole browser, new tabs included)."""
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})

    def downloaded(self, file: Path, min_size: int = 1) -> Path:
        """`file` once it is wholly downloaded; a timeout tells what the folder held instead. The wait is
        WAIT for the request plus WAIT for the file to be made (a PDF is rendered on the server's pool)."""
        def done(_: Any) -> bool:
            return file.exists() and file.stat().st_size >= min_size
        try:
            self.wait(done, timeout=2 * WAIT, what=f"{file.name} downloaded")
        except TimeoutException as timeout:
            held = sorted(f"{p.name} ({p.stat().st_size} bytes)" for p in file.parent.iterdir())
            raise AssertionError(f"[{self.name}] {file.name} not downloaded; the folder holds {held}") from timeout
        return file

    # --- pages ---------------------------------------------------------------------------------
    def open(self, path: str) -> None:
        """Load a page of the product and wait until its websocket is connected (events then reach it)."""
        self.driver.get(self.base + path)
        self.ready()

    def ready(self) -> None:
        self.wait(lambda d: d.execute_script("return window.did_handshake === true && !!window.socket"
                                             " && window.socket.connected"), what="page connected")

    def sign_in(self, username: str, password: str = "demo", next_path: str = "/") -> None:
        self.open("/login" + (f"?next_path={next_path}" if next_path != "/" else ""))
        self.type_into(self.css("input[aria-label='Username']"), username)
        self.type_into(self.css("input[aria-label='Password']"), password)
        self.click(self.button("Sign in"))

    def login(self, username: str, password: str = "demo", next_path: str = "/") -> None:
        """Sign in and wait for the page behind the login."""
        self.sign_in(username, password, next_path)
        self.wait(lambda d: d.current_url.rstrip("/") == (self.base + next_path).rstrip("/"),
                  what=f"{username} signed in")
        self.ready()
        self.user = username

    @staticmethod
    def type_into(element: WebElement, text: str) -> None:
        element.clear()
        element.send_keys(text)

    def screenshot(self, name: str) -> Path:
        """A PNG of what this browser shows, as docs/screenshots/<name>.png, once transitions have ended."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            self.wait(lambda d: d.execute_script(
                "return document.getAnimations().every((a) => a.playState !== 'running')"), timeout=3)
        except TimeoutException:
            pass  # something keeps moving (a spinner): take it as it is
        path = SCREENSHOTS / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot {path}"
        return path

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


def chrome() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def chrome_with(*flags: str) -> webdriver.Chrome:
    """A Chromium like `chrome()`'s, with `flags` in place of its own of the same name (such as
    `--autoplay-policy=document-user-activation-required`, desktop Chrome's, for a page that must ask for sound)."""
    names = {flag.split("=")[0] for flag in flags}
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [f for f in FLAGS if f.split("=")[0] not in names] + list(flags):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture(scope="module")
def server(demo_server: ServerProcess) -> Iterator[ServerProcess]:
    """The module's demo server; at the end its log must hold no traceback, no ERROR line and no warning of
    NiceGUI (such as an element used after it was deleted)."""
    yield demo_server
    problems = [line for line in demo_server.log().splitlines()
                if "Traceback" in line or " ERROR " in line or " WARNING nicegui" in line]
    assert not problems, "the server logged errors:\n" + "\n".join(problems[:20])


OPEN: list[Browser] = []  # the windows of the running module, for the failure report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """When a test fails, keep what every open window showed (PNG and page text) under pytest's basetemp."""
    report = yield
    if report.failed and OPEN and "tests/browser" in str(item.fspath):
        folder = item.config._tmp_path_factory.getbasetemp() / "browser-failures" / item.name  # type: ignore[attr-defined]
        folder.mkdir(parents=True, exist_ok=True)
        for browser in OPEN:
            try:
                browser.driver.save_screenshot(str(folder / f"{browser.name}.png"))
                (folder / f"{browser.name}.txt").write_text(
                    browser.driver.current_url + "\n\n" + browser.driver.find_element(By.TAG_NAME, "body").text)
            except Exception:  # noqa: BLE001 - a dead window has nothing to show
                pass
        report.sections.append(("browser windows", f"screenshots and page texts in {folder}"))
    return report


@pytest.fixture(scope="module")
def browsers(server: ServerProcess) -> Iterator[Callable[[str], Browser]]:
    """A factory of Chromium windows on the module's server; all are closed at the end of the module."""
    opened = OPEN

    def make(name: str) -> Browser:
        browser = Browser(chrome(), server.base, name)
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        try:
            browser.driver.quit()
        except Exception:  # noqa: BLE001 - a browser that already died must not hide the test's result
            pass
    opened.clear()


def dialog(browser: Browser) -> WebElement:
    """The open dialog's card."""
    return browser.css(".q-dialog .q-card")
