"""Benchmark: the supervisor board (SPEC S1) in a real browser with 1,000 agents and 5,000 open interactions.

The workspace (10 queues x 100 agents, 5,000 open interactions, every agent online) is stored before the
server starts (`python -m server`, its own process); an administrator watches /supervisor in headless
Chromium. The page is instrumented from the outside: its socket.io messages and their size are counted,
and a 50 ms interval timer measures how late the browser's main thread runs (its longest stall).

A. Latency: one agent at a time changes state through the REST API (PUT /me/state with a reason unique to
   the run); t0 right before the request, t1 when a MutationObserver sees the reason in the page (the agent
   is on the first page of the table). The browser and this script share the machine's clock.
B. A storm: agents change state through the API at a set rate (default 200 changes/s for 10 s, random
   agents); the page must stay responsive (main-thread stall) while the server batches its redraws (socket
   messages per second), and afterwards show the same counts as GET /api/v1/supervisor/board.

    python scripts/bench_board.py             # full run (about 2 minutes)
    python scripts/bench_board.py --quick     # 100 agents, shorter
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bench import build_workspace  # noqa: E402
from bench_ui import chromium  # noqa: E402
from figures import pct  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.persistence.models import User  # noqa: E402
from server.services.passwords import hash_password  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

ADMIN, PASSWORD = "board-admin", "bench-password"

# Counts socket.io messages and bytes, and the longest stall of the main thread, from now on.
INSTRUMENT_JS = """
window.benchStats = {messages: 0, bytes: 0, maxLag: 0};
if (!window.benchHooked) {
  window.benchHooked = true;
  window.socket.onAny((event, ...args) => {
    window.benchStats.messages += 1;
    window.benchStats.bytes += JSON.stringify(args).length;
  });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    window.benchStats.maxLag = Math.max(window.benchStats.maxLag, now - last - 50);
    last = now;
  }, 50);
}
"""
# Resolves with Date.now() once `needle` shows in the page.
AWAIT_TEXT_JS = """
const [needle, done] = arguments;
const seen = () => document.body.innerText.includes(needle);
if (seen()) { done(Date.now()); return; }
const watch = new MutationObserver(() => { if (seen()) { watch.disconnect(); done(Date.now()); } });
watch.observe(document.body, {childList: true, subtree: true, characterData: true});
"""


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:7.1f} ms   p95 {pct(values, 95) * 1000:7.1f} ms   (n={len(values)})"


async def prepare(database_url: str, per_queue: int, open_total: int) -> dict[str, str]:
    """The workspace, plus an administrator who signs in on the login page; agent -> API token."""
    workspace = await build_workspace(database_url, 10, per_queue, open_total, capacity=30)
    await open_database(database_url)
    await User.create(username=ADMIN, password_hash=hash_password(PASSWORD), role="admin", full_name="Board Admin")
    await close_database()
    return {name: token for pairs in workspace["tokens"].values() for name, token in pairs}


def sign_in(driver: Any, base: str) -> None:
    driver.get(base + "/login?next_path=/supervisor")
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.execute_script("return window.did_handshake === true"))
    driver.find_element(By.XPATH, "//input[@aria-label='Username']").send_keys(ADMIN)
    driver.find_element(By.XPATH, "//input[@aria-label='Password']").send_keys(PASSWORD)
    driver.find_element(By.XPATH, "//button[.//span[text()='Sign in']]").click()
    wait.until(lambda d: "Queue board" in d.find_element(By.TAG_NAME, "body").text)
    wait.until(lambda d: d.execute_script("return window.did_handshake === true && window.socket.connected"))


def set_state(http: httpx.Client, token: str, state: str, reason: str | None = None) -> None:
    body = {"state": state, **({"reason": reason} if reason else {})}
    http.put("/api/v1/me/state", json=body, headers={"Authorization": f"Bearer {token}"}).raise_for_status()


def latency(driver: Any, http: httpx.Client, tokens: dict[str, str], runs: int) -> list[float]:
    first_page = sorted(tokens)[:10]  # the table is sorted by agent: these are on its first page
    seconds = []
    for run in range(runs):
        agent, reason = first_page[run % len(first_page)], f"bench-{run}-{random.randrange(10**6)}"
        t0 = time.time()
        set_state(http, tokens[agent], "paused", reason)
        shown = driver.execute_async_script(AWAIT_TEXT_JS, reason) / 1000
        seconds.append(shown - t0)
        set_state(http, tokens[agent], "online")
        time.sleep(0.3)
    return seconds


async def storm(base: str, tokens: dict[str, str], rate: float, duration: float) -> dict[str, Any]:
    """State changes of random agents at `rate` per second, open loop; returns what was sent and refused."""
    rng = random.Random(7)
    agents = sorted(tokens)
    sent, refused, acks = 0, 0, []
    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)) as http:
        async def change(agent: str, state: str) -> None:
            nonlocal refused
            started = time.monotonic()
            body = {"state": state, **({"reason": "Break"} if state == "paused" else {})}
            r = await http.put("/api/v1/me/state", json=body, headers={"Authorization": f"Bearer {tokens[agent]}"})
            acks.append(time.monotonic() - started)
            refused += r.status_code != 200

        tasks = []
        begin = time.monotonic()
        while (elapsed := time.monotonic() - begin) < duration:
            due = begin + sent / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            tasks.append(asyncio.create_task(change(rng.choice(agents), rng.choice(["online", "paused", "offline"]))))
            sent += 1
        await asyncio.gather(*tasks)
    return {"sent": sent, "refused": refused, "seconds": elapsed, "acks": acks}


def page_counts(driver: Any) -> tuple[int, int, int]:
    """Online, paused and offline agents summed over the queue table's rows (read in one go)."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('table')[0].querySelectorAll('tbody tr')]"
        ".map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()))")
    queues = [cells for cells in rows if len(cells) >= 8]
    return (sum(int(c[4]) for c in queues), sum(int(c[5]) for c in queues), sum(int(c[7]) for c in queues))


def truth(http: httpx.Client) -> tuple[int, int, int]:
    token = http.post("/api/v1/auth/login", json={"username": ADMIN, "password": PASSWORD}).json()["token"]
    board = http.get("/api/v1/supervisor/board", headers={"Authorization": f"Bearer {token}"}).json()
    return (sum(q["agents"]["online"] for q in board["queues"]), sum(q["agents"]["paused"] for q in board["queues"]),
            sum(q["agents"]["offline"] for q in board["queues"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 agents, 500 open, short storm")
    parser.add_argument("--rate", type=float, default=200, help="state changes per second in the storm")
    parser.add_argument("--seconds", type=float, default=10, help="length of the storm")
    args = parser.parse_args()
    per_queue, open_total, runs = (10, 500, 10) if args.quick else (100, 5000, 30)
    seconds = 3 if args.quick else args.seconds
    tmp = Path(tempfile.mkdtemp(prefix="bench-board-"))
    database_url = f"sqlite://{tmp / 'data' / 'xc.sqlite3'}"
    (tmp / "data").mkdir()
    tokens = asyncio.run(prepare(database_url, per_queue, open_total))
    server = ServerProcess(tmp / "data", demo=False, database_url=database_url,
                           extra_env={"NICEGUI_STORAGE_PATH": str(tmp / "nicegui")}).start()
    driver = chromium()
    driver.set_script_timeout(30)
    try:
        sign_in(driver, server.base)
        WebDriverWait(driver, 30).until(lambda d: f"of {len(tokens)}" in d.find_element(By.TAG_NAME, "body").text)
        print(f"workspace: 10 queues, {len(tokens)} agents online, {open_total} open interactions; "
              f"an administrator's board in headless Chromium")
        with httpx.Client(base_url=server.base, timeout=30) as http:
            driver.execute_script(INSTRUMENT_JS)
            quiet = latency(driver, http, tokens, runs)
            print(f"\n== A: state change to board, one at a time ==\nAPI request to text in the page: {ms(quiet)}")

            time.sleep(1)
            driver.execute_script(INSTRUMENT_JS)
            result = asyncio.run(storm(server.base, tokens, args.rate, seconds))
            stats = driver.execute_script("return window.benchStats")
            expected = truth(http)
            started = time.monotonic()
            WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: page_counts(d) == expected)
            settled = time.monotonic() - started
        print(f"\n== B: storm of {result['sent'] / result['seconds']:.0f} state changes/s for "
              f"{result['seconds']:.1f} s ({result['sent']} changes, {result['refused']} refused) ==")
        print(f"API answers:                      {ms(result['acks'])}")
        print(f"socket messages to the browser:   {stats['messages'] / result['seconds']:.1f}/s, "
              f"{stats['bytes'] / result['seconds'] / 1024:.0f} KB/s "
              f"({stats['messages'] / max(1, result['sent']):.3f} per change)")
        print(f"browser main thread, longest stall: {stats['maxLag']:.0f} ms")
        print(f"page equal to the API's figures {settled * 1000:.0f} ms after the storm "
              f"(online/paused/offline {expected})")
        print(f"median state-change latency before the storm: {statistics.median(quiet) * 1000:.0f} ms")
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
