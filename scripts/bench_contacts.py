"""Benchmark: contact search (SPEC C4, C7, C8) on a large SQLite file, through the real service code.

Seeds a fresh file under a temporary directory with 100,000 contacts (names from several countries,
1-2 valid E.164 numbers each, emails, companies, tags, custom field values, five lists, authors, list
permissions) with the bulk inserts that scripts/seed.py uses too (server/persistence/bulk_seed.py), then
times `ContactService.find` as an admin, as an agent who may view three of the five lists and as the same
agent under masking, for the first page, every filter and quick searches; prints p50 / p95 / max of each
against the 100 ms target.

    python scripts/bench_contacts.py                  # 100,000 contacts
    python scripts/bench_contacts.py --quick          # 10,000, to check that it runs
    python scripts/bench_contacts.py --contacts 250000 --runs 20
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import phonenumbers
from tortoise import Tortoise
from tortoise.transactions import in_transaction

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import pct  # noqa: E402
from seed_people import MobileNumbers  # noqa: E402
from server.persistence import bulk_seed  # noqa: E402
from server.persistence.bulk_seed import ContactRow, insert_contacts, insert_rows  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.persistence.writer import Writer, WriterContext  # noqa: E402
from server.services.auth import Principal  # noqa: E402
from server.services.contacts import ContactService  # noqa: E402
from server.services.settings import SettingsService  # noqa: E402

TARGET_MS = 100.0
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
LISTS = ["Customers Italy", "Customers UK", "Customers US", "Leads Europe", "Partners"]
AGENT_LISTS = (1, 2, 3)  # the agent may view these (and add to the first, edit the second)
TAGS = ["VIP", "Newsletter", "Prospect", "Reseller", "Churn risk", "Complaint", "B2B", "Wholesale", "Event 2024",
        "Do not call"]
TIERS = ["bronze", "silver", "gold", "platinum"]
USERS = [("admin", "admin"), ("agent", "agent"), ("masked", "agent"), ("sara.agent", "agent"),
         ("tom.agent", "agent"), ("lead", "supervisor")]
# (country, email domains, first names, last names); mobile numbers from seed_people.MobileNumbers
COUNTRIES: list[tuple[str, list[str], list[str], list[str]]] = [
    ("IT", ["gmail.com", "libero.it", "tiscali.it", "virgilio.it"],
     ["Mario", "Giulia", "Luca", "Anna", "Marco", "Sara", "Paolo", "Elena", "Francesca", "Alessandro", "Chiara",
      "Davide", "Federica", "Giorgio", "Martina", "Pietro", "Silvia", "Stefano", "Valentina", "Matteo"],
     ["Rossi", "Bianchi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco",
      "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti"]),
    ("GB", ["gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk"],
     ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Thomas",
      "Grace", "James", "Lily", "William", "Freya", "Henry", "Ella", "Alfie", "Poppy"],
     ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
      "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Clarke"]),
    ("US", ["gmail.com", "yahoo.com", "aol.com", "icloud.com"],
     ["Michael", "Jennifer", "David", "Jessica", "Christopher", "Ashley", "Daniel", "Sarah", "Matthew",
      "Emily", "Joshua", "Madison", "Andrew", "Olivia", "Ryan", "Hannah", "Tyler", "Abigail", "Brandon", "Megan"],
     ["Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Jackson", "Harris", "Martin",
      "Thompson", "Moore", "Lee", "Perez", "Young", "Allen", "King", "Scott", "Nguyen", "Hill", "Baker"]),
    ("DE", ["gmx.de", "web.de", "t-online.de", "gmail.com"],
     ["Lukas", "Anna", "Leon", "Lena", "Finn", "Laura", "Jonas", "Lea", "Paul", "Hannah", "Felix", "Julia",
      "Maximilian", "Sophie", "Tim", "Katharina", "Jan", "Marie", "Niklas", "Johanna"],
     ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
      "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger"]),
    ("ES", ["gmail.com", "hotmail.es", "telefonica.net", "yahoo.es"],
     ["Antonio", "María", "José", "Carmen", "Manuel", "Lucía", "Javier", "Isabel", "Carlos", "Ana", "Miguel",
      "Laura", "Pablo", "Marta", "Alejandro", "Elena", "Daniel", "Paula", "Sergio", "Cristina"],
     ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
      "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro",
      "Torres"]),
]
COMPANY_WORDS = ["Alpha", "Nova", "Blue", "Green", "Atlas", "Delta", "Orion", "Vertex", "Pioneer", "Summit",
                 "Harbor", "Apex", "Lumen", "Zenith", "Cedar", "Falcon", "Silver", "North", "Quantum", "Bright"]
COMPANY_KINDS = ["Logistics", "Foods", "Motors", "Textiles", "Software", "Consulting", "Energy", "Pharma",
                 "Media", "Retail"]
COMPANY_FORMS = ["Srl", "Ltd", "Inc", "GmbH", "SL", "SpA", "LLC"]
NOTES = ["", "", "", "Prefers WhatsApp after 18:00.", "Asked for a quote in March.", "Met at the trade fair.",
         "Wants invoices by email.", "Call back about the renewal."]
TRANSLIT = str.maketrans("äöüßáéíóúñÁ", "aousaeiounA")


@dataclass
class Seeded:
    """What the cases search for, picked from the seeded rows."""
    contacts: int
    phones: int
    phone: str  # a number in a list the agent may view
    email: str
    first_name: str
    last_name: str
    company: str
    lists: dict[int, int]  # contacts per list


async def seed(path: Path, n: int, rng: random.Random) -> Seeded:
    """The workspace, through the shared bulk inserts (server/persistence/bulk_seed.py) in batches of 20,000."""
    companies = sorted({f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_FORMS)}"
                        for _ in range(400)})
    taken: set[str] = set()
    numbers = {region: MobileNumbers(region, random.Random(f"{rng.random()}"), taken) for region, *_ in COUNTRIES}
    await open_database(f"sqlite://{path}")
    try:
        async with in_transaction() as conn:
            await insert_rows(conn, "users", ("id", "username", "password_hash", "role", "full_name", "state",
                                              "disabled", "created_at"),
                              [(k + 1, name, "x", role, name, "offline", False, START)
                               for k, (name, role) in enumerate(USERS)])
            await insert_rows(conn, "contact_lists", ("id", "name"), [(k + 1, name) for k, name in enumerate(LISTS)])
            await insert_rows(conn, "tags", ("id", "name", "color"),
                              [(k + 1, name, "#607d8b") for k, name in enumerate(TAGS)])
            fields = []
            for list_id in range(1, len(LISTS) + 1):
                fields.append((list_id, "tier", "Tier", "choice", json.dumps(TIERS)))
                fields.append((list_id, "birthday", "Birthday", "date", "[]"))
            await insert_rows(conn, "custom_fields", ("list_id", "name", "label", "kind", "choices"), fields)
            for masked_too in (2, 3):  # the agent and the masked agent: view 3 lists, add to one, edit another
                await insert_rows(conn, "list_permissions", ("list_id", "user_id", "can_view", "can_add", "can_edit"),
                                  [(list_id, masked_too, True, list_id == 1, list_id == 2) for list_id in AGENT_LISTS])
        lists: dict[int, int] = {}
        span = 700 * 24 * 3600
        seconds = sorted(rng.randrange(span) for _ in range(n))
        batch: list[ContactRow] = []
        for k in range(n):
            region, domains, firsts, lasts = rng.choice(COUNTRIES)
            first, last = rng.choice(firsts), rng.choice(lasts)
            email = ""
            if rng.random() < 0.85:
                local = f"{first}.{last}".lower().replace(" ", "").translate(TRANSLIT)
                email = f"{local}{rng.randrange(1000) if rng.random() < 0.7 else ''}@{rng.choice(domains)}"
            company = rng.choice(companies) if rng.random() < 0.6 else ""
            list_id = rng.choices(range(1, len(LISTS) + 1), weights=(30, 20, 20, 20, 10))[0]
            lists[list_id] = lists.get(list_id, 0) + 1
            values: dict[str, Any] = {}
            if rng.random() < 0.7:
                values["tier"] = rng.choices(TIERS, weights=(50, 30, 15, 5))[0]
            if rng.random() < 0.4:
                values["birthday"] = (date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))).isoformat()
            authors = [rng.choice((1, 2, 2, 3, 4, 5, 6))]
            created = START + timedelta(seconds=seconds[k], microseconds=rng.randrange(1_000_000))
            updated = created + timedelta(days=rng.randrange(30)) if rng.random() < 0.3 else created
            phones = [numbers[region].next() for _ in range(rng.choice((1, 1, 1, 2)))]
            tags = rng.sample(range(1, len(TAGS) + 1), k=rng.choice((0, 0, 1, 1, 2, 2, 3, 4, 5)))
            if rng.random() < 0.1:
                authors.append(rng.choice((1, 2, 3, 4, 5, 6)))
            batch.append(ContactRow(list_id, first, last, email, company, created, updated, phones,
                                    notes=rng.choice(NOTES), field_values=values, tag_ids=tags, authors=authors))
            if len(batch) >= 20_000 or k == n - 1:
                async with in_transaction() as conn:
                    await insert_contacts(conn, k + 2 - len(batch), batch)
                batch = []
        conn = Tortoise.get_connection("default")
        await bulk_seed.finish(conn)
        # The samples the cases look for: a contact in a list the agent sees, with an email and a company.
        [target] = await conn.execute_query_dict(
            "SELECT c.first_name, c.last_name, c.email, c.company, p.phone FROM contacts c "
            "JOIN contact_phones p ON p.contact_id = c.id WHERE c.list_id = 1 AND c.email != '' "
            "AND c.company != '' AND c.id > ? ORDER BY c.id LIMIT 1", [n // 3])
        phones = len(taken)
    finally:
        await close_database()
    return Seeded(n, phones, target["phone"], target["email"], target["first_name"], target["last_name"],
                  target["company"], lists)


@dataclass
class Case:
    name: str
    who: str  # admin | agent | masked
    search: dict[str, Any]


def spaced(phone: str) -> str:
    """The number as a person might type it: "0039 333 123 4567"."""
    number = phonenumbers.parse(phone)
    national = str(number.national_number)
    return f"00{number.country_code} {national[:3]} {national[3:6]} {national[6:]}"


def cases(s: Seeded) -> list[Case]:
    word = s.email.split("@")[0]
    fragment = word[2:10]  # inside the local part, e.g. "rio.ross"
    national = str(phonenumbers.parse(s.phone).national_number)
    deep = max(2, min(1000, s.contacts // 100))  # page 1000 of 25 at 100,000 contacts
    return [
        Case("first page, no filter", "admin", {}),
        Case("first page, agent (3 of 5 lists)", "agent", {}),
        Case("list filter", "admin", {"list_name": LISTS[3]}),
        Case("list filter, agent", "agent", {"list_name": LISTS[1]}),
        Case("one tag", "admin", {"tags": ["VIP"]}),
        Case("two tags", "admin", {"tags": ["VIP", "B2B"]}),
        Case("two tags, agent", "agent", {"tags": ["VIP", "B2B"]}),
        Case("quick: name word", "admin", {"q": s.first_name}),
        Case("quick: full name", "admin", {"q": f"{s.first_name} {s.last_name}"}),
        Case("quick: name word, agent", "agent", {"q": s.last_name}),
        Case("quick: email fragment", "admin", {"q": fragment}),
        Case("quick: company word", "admin", {"q": s.company.split()[0]}),
        Case("quick: partial phone digits", "admin", {"q": national[2:9]}),
        Case("quick: 4 digits (many numbers)", "admin", {"q": national[:4]}),
        Case("quick: full number, 0039 ...", "admin", {"q": spaced(s.phone)}),
        Case("quick: full number, agent", "agent", {"q": spaced(s.phone)}),
        Case("masked: full number", "masked", {"q": spaced(s.phone)}),
        Case("masked: partial digits (no match)", "masked", {"q": national[2:9]}),
        Case("masked: full name", "masked", {"q": f"{s.first_name} {s.last_name}"}),
        Case("masked: first name (whole, or company)", "masked", {"q": s.first_name}),
        Case("advanced: last_name + company", "admin", {"last_name": s.last_name, "company": s.company}),
        Case("advanced: masked last_name + company", "masked", {"last_name": s.last_name, "company": s.company}),
        Case("custom field tier=gold", "admin", {"custom": {"tier": "gold"}}),
        Case("custom field tier=gold, agent", "agent", {"custom": {"tier": "gold"}}),
        Case("My Contacts, agent", "agent", {"mine": True}),
        Case("My Contacts + tag, agent", "agent", {"mine": True, "tags": ["VIP"]}),
        Case(f"deep page ({deep})", "admin", {"page": deep}),
        Case(f"deep page ({deep // 2}), agent", "agent", {"page": deep // 2}),
        Case("quick: no match", "admin", {"q": "xylophonequartz"}),
        Case("quick: no match, agent", "agent", {"q": "xylophonequartz"}),
    ]


async def timed(found: Callable[[Case], Any], all_cases: list[Case], runs: int, warmups: int) -> list[dict]:
    results = []
    for case in all_cases:
        for _ in range(warmups):
            await found(case)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            items, total = await found(case)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95, top = pct(samples, 50), pct(samples, 95), max(samples)
        verdict = "ok" if p95 <= TARGET_MS else "OVER"
        print(f"{case.name:<40} {case.who:<6} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  max {top:7.2f} ms  "
              f"total {total:>6}  rows {len(items):>2}  {verdict}", flush=True)
        results.append({"name": case.name, "who": case.who, "p50": p50, "p95": p95, "max": top, "total": total})
    return results


async def run_queries(path: Path, seeded: Seeded, runs: int, warmups: int) -> list[dict]:
    await open_database(f"sqlite://{path}")
    try:
        plain, masked = SettingsService(), SettingsService()
        await plain.update({"default_region": "IT"})
        await masked.update({"default_region": "IT",
                             "masking": {"phone": "partial", "email": "partial", "name": "partial"}})
        writer = Writer(WriterContext({}, 1))  # never started: searching writes nothing
        services = {"plain": ContactService(plain, writer), "masked": ContactService(masked, writer)}
        principals = {"admin": Principal(1, "admin", "admin", "admin"),
                      "agent": Principal(2, "agent", "agent", "agent"),
                      "masked": Principal(3, "masked", "agent", "masked")}

        async def found(case: Case) -> Any:
            service = services["masked" if case.who == "masked" else "plain"]
            return await service.find(principals[case.who], **case.search)

        return await timed(found, cases(seeded), runs, warmups)
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 contacts")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="also copy the seeded file here, to inspect query plans")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.contacts
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-contacts.sqlite3"
        started = time.perf_counter()  # the schema through the real migrations, then the rows
        seeded = asyncio.run(seed(path, n, random.Random(args.seed)))
        print(f"seeded {seeded.contacts:,} contacts, {seeded.phones:,} numbers in "
              f"{time.perf_counter() - started:.1f} s; file {path.stat().st_size / 1e6:.0f} MB; "
              f"contacts per list {dict(sorted(seeded.lists.items()))}", flush=True)
        print(f"looking for {seeded.first_name} {seeded.last_name} <{seeded.email}> {seeded.phone} "
              f"({seeded.company})", flush=True)
        if args.keep:
            with sqlite3.connect(path) as source, sqlite3.connect(args.keep) as copy:
                source.backup(copy)
        print(f"\n== ContactService.find, {args.runs} runs each after {args.warmups} warm-ups, "
              f"target p95 <= {TARGET_MS:.0f} ms ==")
        results = asyncio.run(run_queries(path, seeded, args.runs, args.warmups))
        over = [r["name"] for r in results if r["p95"] > TARGET_MS]
        print(f"\n{len(results) - len(over)} of {len(results)} cases within {TARGET_MS:.0f} ms at p95"
              + (f"; over: {', '.join(over)}" if over else ""))


if __name__ == "__main__":
    main()
