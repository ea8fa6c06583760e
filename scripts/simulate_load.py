"""Load simulation against a running server (SPEC O3): simulated customers write through the real, signed
provider webhooks at a set rate, simulated agents work through the REST API, then a loss check.

    python scripts/simulate_load.py                                   # the demo workspace on :8080
    python scripts/simulate_load.py --rate 200 --duration 300 --customers 5000 --create-agents 995

Open loop: message i is due at start + i / rate and is sent then, whatever the server did with the ones
before (latencies count from the due time). A refused or failed webhook is retried with the same provider
message id, as the providers do. After sending, the agents get a grace period to take and close what is
left; then every message sent is looked up through the API (as the admin) and must be stored exactly
once, and every interaction must be closed, owned by the agent that won it, or waiting without an owner.

Exit status: 0 all good; 1 the loss check failed (lost, duplicated, bad state) or the run could not start;
2 the check passed but some customer messages were never acknowledged (the server refused the load).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from tqdm import tqdm  # noqa: E402

from figures import pct  # noqa: E402
from load_agents import (Agent, CustomerState, ShardedClient, RunState, create_agents, error_kind, set_state,  # noqa: E402
                         sign_in)
from load_check import CheckReport, Sent, check_run, collect_stored  # noqa: E402
from load_plan import PROVIDERS, PlannedMessage, ProviderSettings, customers, plan_messages, webhook_request  # noqa: E402

RETRY_DELAYS = (1.0, 2.0, 4.0)  # a failed webhook is sent again after these pauses, as providers retry


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", default="http://127.0.0.1:8080", help="the server (default: %(default)s)")
    p.add_argument("--public-url", default="", 
                   help="the server's XC_PUBLIC_URL, which Twilio signs (default: the base URL)")
    p.add_argument("--rate", type=float, default=10.0, help="customer messages per second (default: %(default)s)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of sending (default: %(default)s)")
    p.add_argument("--customers", type=int, default=500, help="distinct customers (default: %(default)s)")
    p.add_argument("--active", type=int, default=0,
                   help="conversations going on at once (default: 2 x rate, at most --customers)")
    p.add_argument("--parts", default="2-4", help="messages per conversation, MIN-MAX (default: %(default)s)")
    p.add_argument("--providers", default="meta,twilio", help=f"any of {','.join(PROVIDERS)} (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="fixes customers and the message schedule (default: 1)")
    p.add_argument("--agents", default="agent1,agent2,agent3,agent4,agent5",
                   help="existing agents' usernames, comma-separated (default: the demo's five)")
    p.add_argument("--agent-password", default="demo", help="their password (default: %(default)s)")
    p.add_argument("--create-agents", type=int, default=0, metavar="N",
                   help="also create N agents (loadagent0001...) through the admin API and add them to --queue")
    p.add_argument("--new-agent-password", default="load-agent-pass", help="the created agents' password")
    p.add_argument("--queue", default="WhatsAppConn1", help="the queue created agents join (default: %(default)s)")
    p.add_argument("--admin-user", default="admin")
    p.add_argument("--admin-password", default="demo")
    p.add_argument("--poll-interval", type=float, default=0.0,
                   help="seconds between an agent's offer polls (default: agents / 200, at least 0.5)")
    p.add_argument("--accepts-per-poll", type=int, default=1,
                   help="offers an agent accepts at most after each poll (default: %(default)s)")
    p.add_argument("--handle-time", type=float, default=5.0,
                   help="seconds an agent keeps a conversation whose customer it cannot follow (masked phone)")
    p.add_argument("--grace", type=float, default=30.0,
                   help="at most this many seconds after sending for agents to finish (default: %(default)s)")
    p.add_argument("--connections", type=int, default=128, help="webhook connections (default: %(default)s)")
    p.add_argument("--agent-connections", type=int, default=64, help="agent API connections (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    defaults = ProviderSettings("", "")
    p.add_argument("--meta-account", default=defaults.meta_account)
    p.add_argument("--meta-app-secret", default=defaults.meta_app_secret)
    p.add_argument("--meta-phone-number-id", default=defaults.meta_phone_number_id)
    p.add_argument("--twilio-account", default=defaults.twilio_account)
    p.add_argument("--twilio-auth-token", default=defaults.twilio_auth_token)
    p.add_argument("--twilio-account-sid", default=defaults.twilio_account_sid)
    p.add_argument("--twilio-number", default=defaults.twilio_number)
    p.add_argument("--sandbox-account", default=defaults.sandbox_account)
    p.add_argument("--json", action="store_true", help="print the figures as JSON (progress still on stderr)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    try:
        low, high = (int(x) for x in args.parts.split("-", 1)) if "-" in args.parts else (int(args.parts),) * 2
    except ValueError:
        p.error("--parts: MIN-MAX, e.g. 2-4")
    args.providers = tuple(x.strip() for x in args.providers.split(",") if x.strip())
    args.agents = [x.strip() for x in args.agents.split(",") if x.strip()]
    problems = [msg for bad, msg in (
        (not 1 <= low <= high, "--parts: 1 <= MIN <= MAX"),
        (not args.providers or set(args.providers) - set(PROVIDERS), f"--providers: any of {', '.join(PROVIDERS)}"),
        (args.rate <= 0 or args.duration <= 0, "--rate and --duration must be positive"),
        (args.customers < 1, "--customers must be at least 1"),
        (args.create_agents < 0, "--create-agents cannot be negative"),
        (not args.agents and not args.create_agents, "no agents: give --agents or --create-agents"),
        (args.grace < 0, "--grace cannot be negative"),
        (args.accepts_per_poll < 1, "--accepts-per-poll must be at least 1"),
        (args.poll_interval < 0, "--poll-interval cannot be negative")) if bad]
    if problems:
        p.error("; ".join(problems))
    args.parts = (low, high)
    args.active = min(args.customers, args.active or max(1, round(args.rate * 2)))
    args.base_url = args.base_url.rstrip("/")
    args.public_url = (args.public_url or args.base_url).rstrip("/")
    return args


class Simulation:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_id = secrets.token_hex(4)
        people = customers(args.customers, args.seed, args.providers)
        self.plan = plan_messages(rate=args.rate, duration=args.duration, customer_count=args.customers,
                                  active=args.active, parts=args.parts, seed=args.seed, run_id=self.run_id)
        self.customers = [CustomerState(c) for c in people]
        self.state = RunState(self.run_id, {c.customer.phone: c for c in self.customers})
        self.providers = ProviderSettings(
            args.base_url, args.public_url, meta_account=args.meta_account, meta_app_secret=args.meta_app_secret,
            meta_phone_number_id=args.meta_phone_number_id, twilio_account=args.twilio_account,
            twilio_auth_token=args.twilio_auth_token, twilio_account_sid=args.twilio_account_sid,
            twilio_number=args.twilio_number, sandbox_account=args.sandbox_account)
        timeout = httpx.Timeout(args.timeout)
        self.hooks = ShardedClient(connections=args.connections, timeout=timeout)
        self.api = ShardedClient(connections=args.agent_connections, base_url=args.base_url + "/api/v1",
                               timeout=timeout)
        self.notes: list[str] = []
        self.phases: dict[str, float] = {}  # seconds spent signing in (and creating agents), and checking
        self.bar: tqdm | None = None

    async def close(self) -> None:
        await self.hooks.aclose()
        await self.api.aclose()

    # -- setup -------------------------------------------------------------------------------------------
    async def sign_in_agents(self) -> list[Agent]:
        args = self.args
        admin = await sign_in(self.api, args.admin_user, args.admin_password)
        accounts = [(name, args.agent_password) for name in args.agents]
        if args.create_agents:
            created = [f"loadagent{i:04d}" for i in range(1, args.create_agents + 1)]
            self.notes.append(await create_agents(self.api, admin, created, args.new_agent_password, args.queue))
            accounts += [(name, args.new_agent_password) for name in created]
        self.admin_token = admin
        gate = asyncio.Semaphore(8)  # password checks are deliberately slow: do not flood the server with them

        async def ready(username: str, password: str) -> tuple[str, str]:
            async with gate:
                token = await sign_in(self.api, username, password)
                response = await set_state(self.api, token, "online")
            if response.status_code != 200:
                raise RuntimeError(f"{username} cannot go online: {error_kind('state', response)}")
            return username, token

        signed = await asyncio.gather(*(ready(u, pw) for u, pw in accounts))
        interval = self.args.poll_interval or max(0.5, len(signed) / 200)
        self.poll_interval = interval
        rng = random.Random(self.args.seed + 2)
        return [Agent(self.state, self.api, u, t, interval=interval, handle_time=self.args.handle_time,
                      accepts_per_poll=self.args.accepts_per_poll, rng=random.Random(rng.random())) for u, t in signed]

    # -- customers -----------------------------------------------------------------------------------------
    async def send_all(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2
        self.state.figures.first_due = start
        pending: set[asyncio.Task[None]] = set()
        for message in self.plan:
            due = start + message.at
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.send(message, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending)

    async def send(self, message: PlannedMessage, due: float) -> None:
        customer = self.customers[message.customer]
        figures, loop = self.state.figures, asyncio.get_running_loop()
        mark = message.text.rsplit("[", 1)[1].rstrip("]")
        self.state.customer_marks[mark] = False
        url, body, headers = webhook_request(self.providers, customer.customer, message)
        customer.quiet = False
        if not customer.has_interaction and customer.first_unoffered is None:
            customer.first_unoffered = time.monotonic()
        figures.lag.append(loop.time() - due)
        for attempt, pause in enumerate((*RETRY_DELAYS, None)):
            try:
                response = await self.hooks.post(url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    break
                figures.errors[error_kind(f"webhook {customer.customer.provider}", response)] += 1
                retry = response.status_code >= 500 or response.status_code == 429
            except httpx.HTTPError as error:
                figures.errors[error_kind(f"webhook {customer.customer.provider}", error=error)] += 1
                retry = True
            if not retry or pause is None:
                self._advance()
                return
            await asyncio.sleep(pause)
        now = loop.time()
        figures.ack_latency.append(now - due)
        figures.acked += 1
        figures.last_ack = now
        self.state.customer_marks[mark] = True
        customer.acked += 1
        customer.quiet = message.last
        self._advance()

    def _advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    # -- the run -------------------------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        began = time.monotonic()
        agents = await self.sign_in_agents()
        self.phases["setup"] = time.monotonic() - began
        stop = asyncio.Event()
        workers = [asyncio.create_task(a.work(stop)) for a in agents]
        self.bar = tqdm(total=len(self.plan), unit="msg", desc="sending", disable=self.args.no_progress,
                        file=sys.stderr, smoothing=0.1)
        ticker = asyncio.create_task(self._tick_bar())
        try:
            await self.send_all()
            self.state.sending_done = True
            sent_at = asyncio.get_running_loop().time()
            await self._grace(agents)
            self.phases["grace"] = asyncio.get_running_loop().time() - sent_at
        finally:
            stop.set()
            ticker.cancel()
            self.bar.close()
            await asyncio.gather(*workers, return_exceptions=True)
        checking = time.monotonic()
        report = await self.check(agents)
        self.phases["check"] = time.monotonic() - checking
        await asyncio.gather(*(set_state(self.api, a.headers["Authorization"][7:], "offline") for a in agents),
                             return_exceptions=True)
        return self.figures(len(agents), report)

    async def _tick_bar(self) -> None:
        figures = self.state.figures
        while True:
            await asyncio.sleep(1)
            if self.bar is not None:
                self.bar.set_postfix(acked=figures.acked, accepted=figures.accepted, closed=figures.closed,
                                     errors=sum(figures.errors.values()), refresh=False)

    async def _grace(self, agents: list[Agent]) -> None:
        """Until every agent is idle (nothing owned, nothing offered) for two poll intervals, or the grace ends."""
        deadline = time.monotonic() + self.args.grace
        calm_since: float | None = None
        while time.monotonic() < deadline:
            if all(a.idle for a in agents):
                calm_since = calm_since or time.monotonic()
                if time.monotonic() - calm_since >= 2 * self.poll_interval:
                    return
            else:
                calm_since = None
            await asyncio.sleep(0.2)

    async def check(self, agents: list[Agent]) -> CheckReport:
        waiting: dict[str, int] = {}
        if agents:
            response = await self.api.get("/queues", headers=agents[0].headers)
            if response.status_code == 200:
                waiting = {q["name"]: q["waiting"] for q in response.json()["items"] if "waiting" in q}
        admin = httpx.AsyncClient(base_url=self.args.base_url + "/api/v1", timeout=httpx.Timeout(60),
                                  headers={"Authorization": f"Bearer {self.admin_token}"})
        try:
            phones = {self.customers[m.customer].customer.phone for m in self.plan}
            stored = await collect_stored(admin, phones, waiting=waiting)
        finally:
            await admin.aclose()
        sent = Sent(self.state.customer_marks, self.state.reply_marks, dict(self.state.winners), self.state.closed)
        return check_run(self.run_id, sent, stored)

    def figures(self, agent_count: int, report: CheckReport) -> dict[str, Any]:
        f, args = self.state.figures, self.args
        window = max(1e-9, f.last_ack - f.first_due) if f.acked else float("nan")
        return {
            "run_id": self.run_id, "base_url": args.base_url, "target_rate": args.rate, "duration": args.duration,
            "customers": args.customers, "active_conversations": args.active, "agents": agent_count,
            "poll_interval": self.poll_interval, "providers": list(args.providers), "seed": args.seed,
            "messages_planned": len(self.plan), "messages_acknowledged": f.acked,
            "throughput": f.acked / window if f.acked else 0.0,
            "phases_s": {k: round(v, 1) for k, v in self.phases.items()},
            "webhook_ack_ms": summary(f.ack_latency), "generator_lag_ms": summary(f.lag),
            "inbound_to_offer_ms": summary(f.offer_latency), "accept_ms": summary(f.accept_latency),
            "reply_ms": summary(f.reply_latency), "accepted": f.accepted, "closed": f.closed, "polls": f.polls,
            "lost_races": dict(f.races), "errors": dict(f.errors), "notes": self.notes,
            "loss_check": report.as_dict(), "loss_check_lines": report.lines()}


def summary(seconds: list[float]) -> dict[str, float | int]:
    """Count, p50/p95/p99 and max, in milliseconds."""
    if not seconds:
        return {"count": 0}
    return {"count": len(seconds), **{f"p{q}": round(pct(seconds, q) * 1000, 1) for q in (50, 95, 99)},
            "max": round(max(seconds) * 1000, 1)}


def render(result: dict[str, Any]) -> str:
    def line(name: str, key: str) -> str:
        s = result[key]
        if not s["count"]:
            return f"{name:<22} none"
        return (f"{name:<22} p50 {s['p50']:>8.1f}  p95 {s['p95']:>8.1f}  p99 {s['p99']:>8.1f}  "
                f"max {s['max']:>8.1f} ms   (n={s['count']})")

    out = [f"run {result['run_id']}: {result['messages_planned']} messages planned at {result['target_rate']:g}/s "
           f"for {result['duration']:g} s, {result['customers']} customers, {result['agents']} agents "
           f"(poll every {result['poll_interval']:g} s), providers {', '.join(result['providers'])}",
           f"throughput             {result['throughput']:.1f} messages/s acknowledged "
           f"({result['messages_acknowledged']} of {result['messages_planned']})",
           line("webhook ack", "webhook_ack_ms"), line("generator lag", "generator_lag_ms"),
           line("inbound to offer", "inbound_to_offer_ms"), line("accept", "accept_ms"),
           line("agent reply", "reply_ms"),
           f"accepted {result['accepted']}, closed {result['closed']}, offer polls {result['polls']}, "
           f"lost races {sum(result['lost_races'].values())} {result['lost_races'] or ''}".rstrip(),
           "seconds spent         " + ", ".join(f" {k} {v:.1f}" for k, v in result["phases_s"].items())]
    errors = result["errors"]
    out.append("errors                 " + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"))
    out += [f"note: {n}" for n in result["notes"]]
    out += result["loss_check_lines"]
    return "\n".join(out)


def exit_status(result: dict[str, Any]) -> int:
    check = result["loss_check"]
    if not check["ok"]:
        return 1
    return 2 if check["refused"] or result["messages_acknowledged"] < result["messages_planned"] else 0


async def main_async(args: argparse.Namespace) -> int:
    simulation = Simulation(args)
    try:
        result = await simulation.run()
    except (RuntimeError, httpx.HTTPError) as error:
        print(f"simulate_load: {error}", file=sys.stderr)
        return 1
    finally:
        await simulation.close()
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "loss_check_lines"}, indent=2))
    else:
        print(render(result))
    return exit_status(result)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
