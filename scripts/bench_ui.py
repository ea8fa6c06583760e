"""Benchmark: the agent desktop (NiceGUI), against its targets, in one run.

A. Inbound-to-offer in a real browser: the server (`python -m server --demo`, its own process, a fresh data
   dir) and one headless Chromium signed in as agent1 through the login page. Per run, a MutationObserver in
   the page records the wall-clock time at which the offer card (text "New conversation" and the run's
   customer number) enters the DOM, and the next frame after it; t0 is taken right before the sandbox
   webhook is POSTed. The browser and this script share the machine's clock. Each offer is then accepted
   and closed through the REST API, so every run starts with an empty desk.
B. Server memory per connected desktop and page build time: a workspace of N agents, each the owner of an
   open conversation of 50 messages, stored in the database before the server starts (there is no API for
   queue membership). Each desktop signs in as a browser does, over NiceGUI's own protocol: GET /login, open
   its socket.io connection (python-socketio, websocket transport) with the page's client id, send the
   inputs' values and the button's click, follow the navigation to "/", connect that page's socket and keep
   it connected. Timed: the GET of "/", and the desk complete (its conversation's last message received).
   The server's RSS (VmRSS of its process) is read before and after the desktops connect, and after a pause.

    python scripts/bench_ui.py              # full run: 50 offers, 200 desktops (about 2 minutes)
    python scripts/bench_ui.py --quick      # 10 offers, 20 desktops
"""
from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import socketio  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from figures import pct  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.persistence.models import Account, Interaction, Message, Queue, QueueMember, User  # noqa: E402
from server.services.passwords import hash_password  # noqa: E402
from tests.serverproc import Api, ServerProcess  # noqa: E402

OFFER_TARGET_P95 = 0.200  # seconds
MB_PER_DESKTOP_TARGET = 0.5
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,768",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")
DESK_PASSWORD = "bench-password"
MESSAGES = 50
LAST_MESSAGE = f"Agent reply {MESSAGES - 1}:"  # the text of every open conversation's last message

# Watches for the offer card holding `needle`; records when it entered the DOM and the frame after that.
WATCH_OFFER_JS = """
const needle = arguments[0];
if (window.benchWatch) window.benchWatch.disconnect();
window.benchOffer = null;
window.benchDone = null;
window.benchWatch = new MutationObserver(() => {
  if (window.benchOffer) return;
  for (const card of document.querySelectorAll('.q-card')) {
    const text = card.textContent;
    if (text.includes('New conversation') && text.includes(needle)) {
      const offer = window.benchOffer = {inserted: Date.now(), painted: null};
      requestAnimationFrame(() => setTimeout(() => {
        offer.painted = Date.now();
        if (window.benchDone) window.benchDone(offer);
      }, 0));
      return;
    }
  }
});
window.benchWatch.observe(document.body, {childList: true, subtree: true, characterData: true});
"""
AWAIT_OFFER_JS = """
const done = arguments[arguments.length - 1];
if (window.benchOffer && window.benchOffer.painted) done(window.benchOffer);
else { window.benchDone = done; setTimeout(() => done(window.benchOffer), 5000); }
"""


# --- figures -------------------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    return f"median {pct(values, 50) * 1000:6.1f} ms   p95 {pct(values, 95) * 1000:6.1f} ms   (n={len(values)})"


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(data_dir: Path) -> ServerProcess:
    """The product with its demo workspace, in its own process; NiceGUI's user storage under the data dir."""
    return ServerProcess(data_dir, extra_env={"NICEGUI_STORAGE_PATH": str(data_dir / "nicegui")}).start()


# --- A: inbound to offer in the browser ----------------------------------------------------------
def chromium() -> WebDriver:
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_script_timeout(10)
    return driver


def browser_sign_in(driver: WebDriver, base: str, username: str) -> None:
    """Type the credentials into the login page and wait for the desk."""
    driver.get(base + "/login")
    wait = WebDriverWait(driver, 20)
    wait.until(lambda d: d.execute_script("return window.did_handshake === true"))  # NiceGUI's socket is up
    driver.find_element(By.XPATH, "//input[@aria-label='Username']").send_keys(username)
    driver.find_element(By.XPATH, "//input[@aria-label='Password']").send_keys("demo")
    driver.find_element(By.XPATH, "//button[.//span[text()='Sign in']]").click()
    wait.until(lambda d: "conversations" in d.find_element(By.TAG_NAME, "body").text.lower())


def one_offer(driver: WebDriver, api: Api, run: int) -> tuple[float, float]:
    """Seconds from the webhook's POST to the offer card in the DOM, and to the frame after it."""
    phone = f"+39333{secrets.randbelow(10**7):07d}"
    driver.execute_script(WATCH_OFFER_JS, phone)
    t0 = time.time()
    answer = api.inbound(f"bench-ui-{run}-{secrets.token_hex(4)}", phone, "Hello, a question", f"Bench {run}")
    answer.raise_for_status()
    offer = driver.execute_async_script(AWAIT_OFFER_JS)
    interaction_id = answer.json()["interaction_id"]
    api.post(f"/interactions/{interaction_id}/accept").raise_for_status()
    api.post(f"/interactions/{interaction_id}/close").raise_for_status()
    if not offer or not offer["painted"]:
        raise RuntimeError(f"run {run}: the offer card for {phone} did not appear within 5 s")
    return offer["inserted"] / 1000 - t0, offer["painted"] / 1000 - t0


def offer_latency(runs: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        server = start_server(Path(tmp) / "data")
        driver = None
        try:
            driver = chromium()
            browser_sign_in(driver, server.base, "agent1")
            api = Api(server.base, "agent1")
            api.put("/me/state", json={"state": "online"}).raise_for_status()
            samples = []
            for run in range(runs + 1):  # run 0 warms up the page's code paths and is not counted
                samples.append(one_offer(driver, api, run))
                time.sleep(0.3)  # the closed conversation's tab goes away
            return [s[0] for s in samples[1:]], [s[1] for s in samples[1:]]
        finally:
            if driver is not None:
                driver.quit()
            server.stop()


# --- B: the workspace of connected desktops ------------------------------------------------------
async def build_workspace(database_url: str, agents: int) -> list[str]:
    """N agents in one queue, each owning an open conversation of MESSAGES messages; their usernames."""
    await open_database(database_url)
    queue = await Queue.create(name="BenchDesk", capacity=5, offer_timeout=60)
    account = await Account.create(key="bench-desk", provider="sandbox", name="Bench", queue=queue)
    password_hash = hash_password(DESK_PASSWORD)
    names = [f"desk{n:03d}" for n in range(agents)]
    await User.bulk_create([User(username=name, password_hash=password_hash, role="agent", full_name=f"Desk {name}")
                            for name in names])
    users = {u.username: u.id for u in await User.filter(username__in=names)}
    await QueueMember.bulk_create([QueueMember(queue_id=queue.id, user_id=users[name]) for name in names])
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    interactions, messages = [], []
    for n, name in enumerate(names):
        phone = f"+39334{n:07d}"
        interactions.append(Interaction(id=n + 1, account_id=account.id, queue_id=queue.id, customer_phone=phone,
                                        customer_name=f"Customer {n}", owner_id=users[name], first_agent_id=users[name],
                                        status="open", created_at=start, accepted_at=start, last_inbound_at=start,
                                        read_marker=(n + 1) * MESSAGES))
        messages += conversation(n, account.id, phone, name, start)
    await Interaction.bulk_create(interactions, batch_size=500)
    await Message.bulk_create(messages, batch_size=1000)
    await close_database()
    return names


def conversation(n: int, account_id: int, phone: str, agent: str, start: datetime) -> list[Message]:
    """MESSAGES alternating customer and agent messages of interaction n + 1."""
    rows = []
    for i in range(MESSAGES):
        inbound = i % 2 == 0
        text = (f"Customer message {i}: my order has not arrived yet, could you check it please?" if inbound
                else f"Agent reply {i}: thank you, I am looking into it right now.")
        rows.append(Message(id=n * MESSAGES + i + 1, interaction_id=n + 1, direction="in" if inbound else "out",
                            text=text, status="received" if inbound else "delivered",
                            sender=phone if inbound else agent, created_at=start + timedelta(seconds=20 * i),
                            external_key=f"{account_id}:bench-{n}-{i}" if inbound else None))
    return rows


@dataclass
class Page:
    """A NiceGUI page as served: its elements and the socket query that connects to it."""

    elements: dict[str, Any]
    client_id: str
    next_message_id: int
    seconds: float  # the GET, until the whole answer is read
    size: int  # bytes of HTML


async def load(http: httpx.AsyncClient, path: str) -> Page:
    started = time.perf_counter()
    answer = await http.get(path)
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} answered {answer.status_code} {answer.headers.get('location', '')}")
    raw = re.search(r"parseElements\(String\.raw`(.*?)`\)", answer.text, re.S)
    query = re.search(r"'client_id': '([^']+)', 'next_message_id': (\d+)", answer.text)
    if raw is None or query is None:
        raise RuntimeError(f"GET {path}: not a NiceGUI page")
    return Page(json.loads(html.unescape(raw.group(1))), query.group(1), int(query.group(2)), seconds,
                len(answer.content))


async def open_socket(http: httpx.AsyncClient, page: Page, **handlers: Any) -> socketio.AsyncClient:
    """Connect to the page's client as its browser tab does (implicit handshake in the query)."""
    socket = socketio.AsyncClient(reconnection=False)
    for event, handler in handlers.items():
        socket.on(event, handler)
    query = (f"client_id={page.client_id}&next_message_id={page.next_message_id}&implicit_handshake=true"
             f"&document_id={uuid.uuid4()}&tab_id={uuid.uuid4()}&old_tab_id=")
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    await socket.connect(f"{http.base_url}?{query}", socketio_path="/_nicegui_ws/socket.io",
                         transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=30)
    return socket


async def emit(socket: socketio.AsyncClient, page: Page, label: str, event: str, args: list[str]) -> None:
    """An element's event, as the browser sends it: to the element whose label is `label`."""
    for element_id, element in page.elements.items():
        if element.get("props", {}).get("label") == label:
            listener = next(e["listener_id"] for e in element["events"] if e["type"] == event)
            await socket.emit("event", {"id": int(element_id), "client_id": page.client_id,
                                        "listener_id": listener, "args": args})
            return
    raise RuntimeError(f"no element labelled {label!r}")


async def sign_in(base: str, username: str) -> httpx.AsyncClient:
    """Sign in on the login page; the returned client holds the signed-in session cookie."""
    http = httpx.AsyncClient(base_url=base, timeout=60)
    page = await load(http, "/login")
    navigated = asyncio.Event()
    socket = await open_socket(http, page, open=lambda _: navigated.set())
    for label, value in (("Username", username), ("Password", DESK_PASSWORD)):
        await emit(socket, page, label, "update:value", [json.dumps(value)])
    await emit(socket, page, "Sign in", "click", [])
    await asyncio.wait_for(navigated.wait(), 30)
    await socket.disconnect()  # the browser leaves the login page
    return http


@dataclass
class Desktop:
    socket: socketio.AsyncClient
    answered: float  # seconds from the GET of "/" to its answer
    complete: float  # seconds from the GET to the open conversation's last message on the page
    elements: dict[str, Any]  # the page's elements, kept up to date from the socket's updates
    html: int  # bytes of the answer's HTML


async def open_desk(http: httpx.AsyncClient) -> Desktop:
    """GET "/", keep its socket connected, and wait until the desk holds its conversation's last message.

    The desk's GET may be answered before the page is built (NiceGUI answers as soon as the page awaits the
    socket, as a ui.timer does); the rest then comes over the socket, so completion is timed there.
    """
    started = time.perf_counter()
    page = await load(http, "/")
    if "Conversations" not in json.dumps(page.elements):
        raise RuntimeError("GET / did not build the desk")
    elements, done = dict(page.elements), asyncio.Event()

    def update(message: dict[str, Any]) -> None:
        for element_id, element in message.items():
            if element is None:
                elements.pop(element_id, None)
            elif element_id != "_id":
                elements[element_id] = element
        if LAST_MESSAGE in json.dumps(message):
            done.set()

    if LAST_MESSAGE in json.dumps(page.elements):
        done.set()
    socket = await open_socket(http, page, update=update)
    await asyncio.wait_for(done.wait(), 30)
    complete = time.perf_counter() - started
    await http.aclose()
    return Desktop(socket, page.seconds, complete, elements, page.size)


async def sign_in_all(base: str, usernames: list[str], concurrency: int = 4) -> list[httpx.AsyncClient]:
    gate = asyncio.Semaphore(concurrency)

    async def one(username: str) -> httpx.AsyncClient:
        async with gate:
            return await sign_in(base, username)

    return await asyncio.gather(*(one(u) for u in usernames))


async def desktops(server: ServerProcess, usernames: list[str], settle: float) -> dict[str, Any]:
    """Warm up with one desktop, sign in the rest, then connect their desks one after another."""
    warm = await open_desk(await sign_in(server.base, usernames[0]))
    await asyncio.sleep(2)
    rss = {"idle": rss_mb(server.proc.pid)}
    sessions = await sign_in_all(server.base, usernames[1:])
    await asyncio.sleep(settle)  # the login pages' clients are deleted after the reconnect timeout (10 s)
    rss["signed in"] = rss_mb(server.proc.pid)
    started, cpu = time.perf_counter(), cpu_seconds(server.proc.pid)
    desks = [await open_desk(http) for http in sessions]
    connect_seconds, cpu = time.perf_counter() - started, cpu_seconds(server.proc.pid) - cpu
    await asyncio.sleep(1)
    rss["connected"] = rss_mb(server.proc.pid)
    await asyncio.sleep(settle)
    rss["settled"] = rss_mb(server.proc.pid)
    alive = sum(d.socket.connected for d in desks)
    for desk in [warm, *desks]:
        await desk.socket.disconnect()
    return {"rss": rss, "answered": [d.answered for d in desks], "complete": [d.complete for d in desks],
            "connect_seconds": connect_seconds, "cpu_ms": cpu / len(desks) * 1000, "alive": alive,
            "elements": statistics.median(len(d.elements) for d in desks),
            "html_kb": statistics.median(d.html for d in desks) / 1024}


def desktop_memory(count: int, settle: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        url = f"sqlite://{(data_dir / 'contact-center.sqlite3').resolve()}"
        usernames = asyncio.run(build_workspace(url, count + 1))
        server = start_server(data_dir)
        try:
            return asyncio.run(desktops(server, usernames, settle))
        finally:
            server.stop()


# --- report --------------------------------------------------------------------------------------
def report_offers(inserted: list[float], painted: list[float]) -> None:
    print(f"\n== A. inbound webhook to offer visible in the browser (agent1, headless Chromium), "
          f"{len(inserted)} runs ==")
    print(f"offer card in the DOM:        {ms(inserted)}")
    print(f"next frame after it:          {ms(painted)}")
    print(f"p95 against the {OFFER_TARGET_P95 * 1000:.0f} ms target: DOM {pct(inserted, 95) / OFFER_TARGET_P95:.2f}x, "
          f"frame {pct(painted, 95) / OFFER_TARGET_P95:.2f}x")


def report_desktops(count: int, result: dict[str, Any]) -> None:
    rss = result["rss"]
    # VmRSS of the server process: "signed in" once every desktop's session exists and the login pages' clients
    # are gone; "connected" 1 s after the last desk is complete with its socket open; "settled" after a pause.
    per_desktop = (rss["connected"] - rss["signed in"]) / count
    settled = (rss["settled"] - rss["signed in"]) / count
    print(f"\n== B. {count} connected desktops (socket.io clients), each with an open conversation of "
          f"{MESSAGES} messages ==")
    print(f"desks opened one at a time; all {count} connected in {result['connect_seconds']:.1f} s; "
          f"still connected at the end: {result['alive']}")
    print(f"GET / answered:               {ms(result['answered'])}   (HTML median {result['html_kb']:.0f} KB)")
    print(f"desk complete (GET to the conversation's last message over the socket): {ms(result['complete'])}")
    print("  (includes the socket's connection and NiceGUI's outbox, which looks for a connection every 100 ms)")
    print(f"page size at the end: median {result['elements']:.0f} elements; "
          f"server CPU per desk opened: {result['cpu_ms']:.1f} ms")
    print("server RSS: " + ", ".join(f"{name} {value:.1f} MB" for name, value in rss.items()))
    print(f"MB per desktop (connected - signed in) / {count}: {per_desktop:.3f} MB "
          f"({per_desktop / MB_PER_DESKTOP_TARGET:.2f}x the {MB_PER_DESKTOP_TARGET} MB target); "
          f"after the pause {settled:.3f} MB ({settled / MB_PER_DESKTOP_TARGET:.2f}x)")
    print(f"sign-in residue (signed in - idle) / {count}: {(rss['signed in'] - rss['idle']) / count:.3f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 offers, 20 desktops")
    args = parser.parse_args()
    runs, count = (10, 20) if args.quick else (50, 200)
    print(f"cpus={os.cpu_count()}; {runs} offers; {count} desktops", flush=True)
    inserted, painted = offer_latency(runs)
    report_offers(inserted, painted)
    result = desktop_memory(count, settle=12.0)
    report_desktops(count, result)


if __name__ == "__main__":
    main()
