"""Seed a realistic workspace of any size (SPEC O2): agents and supervisors, queues with members and accounts,
contact lists with custom fields and permissions, tags, dispositions, canned answers, contacts with valid
mobile numbers from several countries, and closed conversations of the past 90 days.

    python scripts/seed.py --data-dir data                       # a small workspace
    python scripts/seed.py --data-dir data --contacts 100000 --interactions 20000 --agents 50
    python scripts/seed.py --database-url postgres://user:pw@host/db --seed 7 --countries IT,ES,FR

It migrates the database first, as the server does at start, then adds to what is there: usernames go on
numbering (agent6 after the demo's agent5), taken names get a suffix, tags and dispositions of the same
name are reused. The same --seed on an empty database gives the same workspace on the same day (dates
count back from today). Stop the server while seeding: it allocates interaction ids from its own counter.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from tortoise import Tortoise
from tortoise.transactions import in_transaction
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seed_activity import ActivityCounts, Customer, seed_contacts, seed_interactions  # noqa: E402
from seed_config import ConfigPlan, Workspace, seed_config  # noqa: E402
from seed_people import MobileNumbers, People, SeedDataError, locale_for  # noqa: E402
from server.config import Settings  # noqa: E402
from server.persistence import bulk_seed  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.services.passwords import hash_password  # noqa: E402

DEFAULT_COUNTRIES = "IT,US,GB,DE,IN,BR"
MAX_COUNT = 10_000_000


@dataclass(frozen=True)
class SeedOptions:
    database_url: str
    agents: int = 10
    supervisors: int = 2
    queues: int = 3
    contacts: int = 500
    interactions: int = 200
    messages_per_interaction: int = 8
    lists: int = 3
    seed: int = 1
    countries: tuple[str, ...] = tuple(DEFAULT_COUNTRIES.split(","))
    password: str = "demo"


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0-{MAX_COUNT:,})")
    return value


def _countries(text: str) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))
    if not regions:
        raise argparse.ArgumentTypeError("give at least one country code, e.g. IT,US")
    for region in regions:
        try:
            locale_for(region)
        except SeedDataError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return regions


def parse_options(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> SeedOptions:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python scripts/seed.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url",
                       help="sqlite://PATH or postgres://USER:PASS@HOST/DB, as for python -m server "
                            "(XC_DATABASE_URL); default: the SQLite file under --data-dir")
    where.add_argument("--data-dir",
                       help="the server's data dir, whose contact-center.sqlite3 is seeded "
                            "(XC_DATA_DIR; default: data)")
    counts = [("--agents", 10, "agents to add (agentN), each in 1-3 queues"),
              ("--supervisors", 2, "supervisors to add (supervisorN), who may use every new list"),
              ("--queues", 3, "queues to add, each with a sandbox account (the first also a Meta one)"),
              ("--contacts", 500, "contacts to add over the new lists, 1-2 mobile numbers each"),
              ("--interactions", 200, "closed interactions of the past 90 days, owned by the new agents"),
              ("--messages-per-interaction", 8, "average messages per interaction, at least 2 (customer, "
                                                "agent, internal notes)"),
              ("--lists", 3, "contact lists to add, each with custom fields (tier, birthday, ...)")]
    for flag, default, text in counts:
        parser.add_argument(flag, type=_count, default=default, help=f"{text} (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed: the same seed gives the same data (default: %(default)s)")
    parser.add_argument("--countries", type=_countries, default=DEFAULT_COUNTRIES,
                        help="ISO country codes the people and their numbers come from (default: %(default)s)")
    parser.add_argument("--password", default="demo",
                        help="the password of every user added (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.interactions and not (args.agents and args.queues):
        parser.error("--interactions needs at least one agent and one queue (--agents, --queues)")
    if args.messages_per_interaction < 2:
        parser.error("--messages-per-interaction: at least 2 (the customer writes, the agent answers)")
    if not args.password:
        parser.error("--password must not be empty")
    # A flag wins over the variables; XC_DATABASE_URL over XC_DATA_DIR, as for the server.
    url = args.database_url or (None if args.data_dir else env.get("XC_DATABASE_URL")) or \
        Settings(data_dir=Path(args.data_dir or env.get("XC_DATA_DIR") or "data")).resolved_database_url
    return SeedOptions(url, args.agents, args.supervisors, args.queues, args.contacts, args.interactions,
                       args.messages_per_interaction, args.lists, args.seed, tuple(args.countries), args.password)


@dataclass
class SeedReport:
    workspace: Workspace
    activity: ActivityCounts
    contacts: int
    timings: dict[str, float]
    totals: dict[str, int]


class Phases:
    """Runs the seed's phases, each timed and with its progress bar."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    async def run(self, name: str, total: int, unit: str,
                  work: Callable[[Callable[[int], None]], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        with tqdm(total=total, desc=f"{name:<13}", unit=unit, unit_scale=total >= 10_000, mininterval=0.5,
                  dynamic_ncols=True, file=sys.stderr) as bar:
            result = await work(bar.update)
        self.timings[name] = time.perf_counter() - started
        return result


TOTALS = ("users", "queues", "queue_members", "queue_supervisors", "accounts", "contact_lists", "custom_fields",
          "list_permissions", "tags", "dispositions", "canned_answers", "contacts", "contact_phones", "contact_tags",
          "contact_authors", "interactions", "messages", "interaction_tags", "routing_events")


async def seed(options: SeedOptions) -> SeedReport:
    """Migrates the database, then writes the workspace; the database is closed afterwards. The password is
    hashed once (argon2 takes a good part of a second) and the hash shared by every user added."""
    phases = Phases()
    anchor = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if options.database_url.startswith("sqlite://"):
        Path(options.database_url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    await phases.run("migrate", 1, " step", lambda step: _migrate(options.database_url, step))
    try:
        conn = Tortoise.get_connection("default")
        taken = {r["phone"] for r in await conn.execute_query_dict("SELECT phone FROM contact_phones")}
        taken |= {r["phone_number"] for r in await conn.execute_query_dict("SELECT phone_number FROM accounts")}

        async def configure(step: Callable[[int], None]) -> tuple[Workspace, People]:
            people = People(list(options.countries), options.seed, taken, size=options.contacts + options.interactions)
            staff = People(list(options.countries), options.seed + 7919, set(),
                           size=options.agents + options.supervisors)
            numbers = MobileNumbers(options.countries[0], random.Random(f"{options.seed}:accounts"), taken,
                                    prefixes=20)
            plan = ConfigPlan(options.agents, options.supervisors, options.queues, options.lists,
                              hash_password(options.password), options.seed, anchor - timedelta(days=400))
            async with in_transaction() as tx:
                ws = await seed_config(tx, plan, staff, numbers)
            step(1)
            return ws, people

        ws, people = await phases.run("configuration", 1, " step", configure)
        customers: list[Customer] = await phases.run(
            "contacts", options.contacts, " contacts",
            lambda step: seed_contacts(options.contacts, ws, people, options.seed, anchor, step))
        stored = (await conn.execute_query_dict("SELECT COUNT(*) AS n FROM messages"))[0]["n"]
        adding = options.interactions * options.messages_per_interaction

        async def converse(step: Callable[[int], None]) -> ActivityCounts:
            async with bulk_seed.message_index_paused(conn, pause=adding > stored):
                return await seed_interactions(options.interactions, options.messages_per_interaction, ws, customers,
                                               people, options.seed, anchor, step)

        activity: ActivityCounts = await phases.run("interactions", options.interactions, " interactions", converse)

        async def finish(step: Callable[[int], None]) -> dict[str, int]:
            await bulk_seed.finish(conn)
            step(1)
            return {t: (await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {t}"))[0]["n"] for t in TOTALS}

        totals = await phases.run("finish", 1, " step", finish)
    finally:
        await close_database()
    return SeedReport(ws, activity, len(customers), phases.timings, totals)


async def _migrate(url: str, step: Callable[[int], None]) -> None:
    await open_database(url)
    step(1)


def summary(options: SeedOptions, report: SeedReport) -> str:
    ws, act = report.workspace, report.activity

    def names(rows: list[tuple[int, str, str]]) -> str:
        return f"{rows[0][1]}..{rows[-1][1]}" if len(rows) > 1 else (rows[0][1] if rows else "none")

    lines = [f"Seeded {_safe_url(options.database_url)} (seed {options.seed}, "
             f"countries {','.join(options.countries)}):"]
    if ws.admin:
        lines.append(f"  admin        {ws.admin} (there was none)")
    lines += [
        f"  agents       {len(ws.agents):>9,}  {names(ws.agents)}",
        f"  supervisors  {len(ws.supervisors):>9,}  {names(ws.supervisors)}",
        f"  queues       {len(ws.queues):>9,}  {', '.join(n for _, n in ws.queues[:6])}"
        + (" ..." if len(ws.queues) > 6 else ""),
        f"  accounts     {ws.created.get('accounts', 0):>9,}  "
        + ", ".join(k for accounts in list(ws.accounts.values())[:3] for _, k in accounts)
        + (" ..." if len(ws.accounts) > 3 else ""),
        f"  lists        {len(ws.lists):>9,}  {', '.join(n for _, n in ws.lists[:6])}"
        + (" ..." if len(ws.lists) > 6 else ""),
        f"  list rights  {ws.created.get('list_permissions', 0):>9,}",
        f"  tags         {ws.created.get('tags', 0):>9,} new, dispositions {ws.created.get('dispositions', 0)} new, "
        f"canned answers {ws.created.get('canned_answers', 0)} new",
        f"  contacts     {report.contacts:>9,}",
        f"  interactions {act.interactions:>9,}  closed, {act.messages:,} messages ({act.notes:,} notes), "
        f"{act.routing_events:,} history lines",
    ]
    if ws.reused:
        shown = ", ".join(ws.reused[:8]) + (f" and {len(ws.reused) - 8} more" if len(ws.reused) > 8 else "")
        lines.append(f"  reused       {shown}")
    users = [u for _, u, _ in ws.agents[:1] + ws.supervisors[:1]] + ([ws.admin] if ws.admin else [])
    if users:
        lines.append(f"  sign in as   {', '.join(users)} ... with the password given (--password)")
    lines.append("Rows now in the database: " + ", ".join(f"{t} {n:,}" for t, n in report.totals.items()))
    total = sum(report.timings.values())
    lines.append("Time per phase: " + ", ".join(f"{name} {s:.1f} s" for name, s in report.timings.items())
                 + f"; total {total:.1f} s")
    return "\n".join(lines)


def _safe_url(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{host}"
    return url


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        report = asyncio.run(seed(options))
    except SeedDataError as error:
        print(f"seed.py: {error}", file=sys.stderr)
        return 2
    print(summary(options, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
