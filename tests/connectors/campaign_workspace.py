"""A workspace for campaign tests: a Meta account on a fake Graph API, a three-variable template, and a
list of contacts with a custom field, each with its own valid number."""
from __future__ import annotations

import asyncio
import sys

from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Contact, ContactList, ContactPhone, CustomField, Queue, Template, User

ACCOUNT, TEMPLATE, LIST = "meta-campaign", "promo", "Campaign list"
BODY = "Hi {{1}}, news from {{2}} for {{3}}."
MAPPING = ["first_name", "text:Acme", "field:city"]


def phone_of(n: int) -> str:
    return f"+39333{5_000_000 + n:07d}"


async def campaign_workspace(queue: str, graph_base: str, contacts: int) -> int:
    """Create it all (the database open); returns the id of an admin user."""
    await Account.create(key=ACCOUNT, provider="meta", queue=await Queue.get(name=queue), api_base_url=graph_base,
                         credentials={"phone_number_id": "777", "access_token": "tk", "app_secret": "s",
                                      "verify_token": "v"})
    await Template.create(name=TEMPLATE, language="en", body=BODY)
    people = await ContactList.create(name=LIST)
    await CustomField.create(list=people, name="city", label="City")
    await Contact.bulk_create([Contact(list=people, first_name=f"Name{n}", last_name="Test",
                                       field_values={"city": f"City{n}"}) for n in range(contacts)], batch_size=500)
    ids = await Contact.filter(list=people).order_by("id").values_list("id", flat=True)
    await ContactPhone.bulk_create([ContactPhone(contact_id=c, phone=phone_of(n)) for n, c in enumerate(ids)],
                                   batch_size=500)
    admin = await User.get_or_none(username="admin")
    if admin is None:
        admin = await User.create(username="admin", password_hash="-", role="admin")
    return admin.id


def recipients_of(requests: list[dict]) -> list[str]:
    """The numbers the fake Graph API received template messages for, in arrival order."""
    return ["+" + r["json"]["to"] for r in requests if r["json"].get("type") == "template"]


async def _seed(database_url: str, queue: str, graph_base: str, contacts: str) -> None:
    await open_database(database_url)
    try:
        await campaign_workspace(queue, graph_base, int(contacts))
    finally:
        await close_database()


if __name__ == "__main__":  # a server's database seeded from a process of its own (tortoise keeps one per process)
    asyncio.run(_seed(*sys.argv[1:]))
