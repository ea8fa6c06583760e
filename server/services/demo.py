"""The demo workspace of the contract (`--demo`), created idempotently."""
from __future__ import annotations

from server.persistence.models import (Account, CannedAnswer, ContactList, ContactTrigger, Disposition,
                                       ListPermission, Queue, QueueMember, QueueSupervisor, Setting, Tag, Template,
                                       User)
from server.services.passwords import hash_password
from server.services.settings import DEFAULTS

DEMO_PASSWORD = "demo"
AGENTS = [f"agent{i}" for i in range(1, 6)]
NAMES = {"admin": "Ada Admin", "supervisor": "Sam Supervisor", "agent1": "Alice Agent", "agent2": "Bruno Agent",
         "agent3": "Chiara Agent", "agent4": "Dmitri Agent", "agent5": "Emma Agent"}


async def ensure_demo_workspace() -> None:
    users = {}
    for username, role in [("admin", "admin"), ("supervisor", "supervisor"), *((a, "agent") for a in AGENTS)]:
        user = await User.get_or_none(username=username)
        if user is None:
            user = await User.create(username=username, password_hash=hash_password(DEMO_PASSWORD), role=role,
                                     full_name=NAMES[username])
        users[username] = user
    queue, _ = await Queue.get_or_create(name="WhatsAppConn1", defaults={"strategy": "ring_all", "offer_timeout": 30,
                                                                         "reoffer_delay": 60, "capacity": 5})
    for agent in AGENTS:
        await QueueMember.get_or_create(queue=queue, user=users[agent])
    await QueueSupervisor.get_or_create(queue=queue, user=users["supervisor"])
    accounts = [
        ("sandbox", "sandbox", "Sandbox", "+15550100001", {}),
        ("meta-demo", "meta", "Meta demo", "+15550100002",
         {"app_secret": "demo-app-secret", "verify_token": "demo-verify-token", "phone_number_id": "100000000000001",
          "access_token": "demo-access-token"}),
        ("twilio-demo", "twilio", "Twilio demo", "+15550100003",
         {"account_sid": "AC00000000000000000000000000000000", "auth_token": "demo-auth-token"}),
    ]
    customers, _ = await ContactList.get_or_create(name="Customers")
    for key, provider, name, number, credentials in accounts:
        account, _ = await Account.get_or_create(key=key, defaults={
            "provider": provider, "name": name, "phone_number": number, "queue": queue, "credentials": credentials,
            "recontact_template": "recontact"})
        await ContactTrigger.get_or_create(account=account, list=customers)
    for username in [*AGENTS, "supervisor"]:
        await ListPermission.get_or_create(list=customers, user=users[username],
                                           defaults={"can_view": True, "can_add": True, "can_edit": True})
    templates = [
        ("recontact", "Hello {{1}}, this is {{2}} following up on your request. Reply to continue the conversation."),
        ("order_update", "Hi {{1}}, your order {{2}} is on its way."),
        ("appointment_reminder", "Hi {{1}}, a reminder of your appointment on {{2}}."),
    ]
    for name, body in templates:
        await Template.get_or_create(name=name, defaults={"body": body, "language": "en"})
    canned = [
        ("Greeting", "Hello {first_name}, thank you for contacting us. How can I help?"),
        ("Hold on", "Thank you, {first_name}. Let me check that for you; it will take a moment."),
        ("Goodbye", "Thank you for writing to us, {first_name}. Have a good day!"),
    ]
    for name, body in canned:
        await CannedAnswer.get_or_create(name=name, defaults={"body": body})
    for name in ("Resolved", "Follow-up needed", "Sale", "No answer", "Spam"):
        await Disposition.get_or_create(name=name)
    for name, color in (("VIP", "#d32f2f"), ("Complaint", "#f57c00"), ("Sales", "#388e3c"), ("Support", "#1976d2")):
        await Tag.get_or_create(name=name, defaults={"color": color})
    await Setting.get_or_create(key="transfer", defaults={"value": {"enabled": True, "to": "both"}})
    await Setting.get_or_create(key="agent_timeout", defaults={"value": 300})
    await Setting.get_or_create(key="attachments", defaults={"value": DEFAULTS["attachments"]})
    await Setting.get_or_create(key="simulator", defaults={"value": {"enabled": True}})
