"""The simulated customers' traffic: who writes what, when, and the exact webhook request each provider sends.

A plan is fixed by its seed (customers, the order and timing of their messages); the run id (fresh per run)
goes into every provider message id and every text, so that two runs never look like provider retries of
each other and the loss check finds exactly this run's messages.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import phonenumbers  # noqa: E402

from server.connectors.twilio import signature as twilio_signature  # noqa: E402

PROVIDERS = ("meta", "twilio", "sandbox")
FIRST_NAMES = ("Giulia", "Marco", "Ana", "Lucas", "Sofia", "Omar", "Lena", "Kenji", "Amara", "Tomás", "Chloé", "Ravi")
LAST_NAMES = ("Bianchi", "Souza", "Rossi", "Haddad", "Müller", "Tanaka", "Okafor", "García", "Dubois", "Sharma")
LINES = ("Hello, I need help with my order", "It has not arrived yet", "The tracking number does not work",
         "Can you check it please?", "Thanks!", "I would like to change the delivery address",
         "Is there any discount today?", "My payment was charged twice", "Ok, I will wait", "Perfect, thank you 🙏")


@dataclass(frozen=True)
class Customer:
    index: int
    phone: str  # E.164
    name: str
    provider: str  # meta | twilio | sandbox


@dataclass(frozen=True)
class PlannedMessage:
    seq: int
    at: float  # seconds after the start at which it is due (open loop: sent then, whatever came before)
    customer: int
    part: int  # 1.. within its conversation
    last: bool  # the conversation's last message: the customer then waits for the agent to close
    provider_id: str
    text: str


@dataclass(frozen=True)
class ProviderSettings:
    """Where and how each provider's webhooks are sent (the demo workspace's values by default)."""

    base_url: str
    public_url: str  # the URL the server believes providers call (XC_PUBLIC_URL): Twilio signs it
    meta_account: str = "meta-demo"
    meta_app_secret: str = "demo-app-secret"
    meta_phone_number_id: str = "100000000000001"
    meta_display_number: str = "15550100002"
    twilio_account: str = "twilio-demo"
    twilio_auth_token: str = "demo-auth-token"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_number: str = "+15550100003"
    sandbox_account: str = "sandbox"


def customer_phone(seed: int, index: int) -> str:
    """An Italian mobile number (+39 34x), distinct per index, shifted by the seed; always a valid number."""
    number = f"+3934{(seed * 7_919 + index) % 100_000_000:08d}"
    assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    return number


def customers(count: int, seed: int, providers: tuple[str, ...]) -> list[Customer]:
    rng = random.Random(seed)
    return [Customer(i, customer_phone(seed, i), f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                     providers[i % len(providers)]) for i in range(count)]


def plan_messages(*, rate: float, duration: float, customer_count: int, active: int, parts: tuple[int, int],
                  seed: int, run_id: str) -> list[PlannedMessage]:
    """`rate * duration` messages, evenly spread, from `active` conversations at a time: each slot goes to a
    random live conversation; a finished conversation hands its place to the customer idle the longest."""
    rng = random.Random(seed + 1)
    total = max(1, round(rate * duration))
    idle = deque(range(customer_count))
    live: list[list[int]] = []  # [customer, parts planned, parts sent]

    def open_conversation() -> None:
        live.append([idle.popleft(), rng.randint(*parts), 0])

    for _ in range(min(active, customer_count)):
        open_conversation()
    planned = []
    for seq in range(total):
        slot = rng.randrange(len(live))
        conversation = live[slot]
        conversation[2] += 1
        last = conversation[2] == conversation[1]
        planned.append(PlannedMessage(seq, seq / rate, conversation[0], conversation[2], last,
                                      _provider_id(run_id, seq), f"{rng.choice(LINES)} [{token(run_id, seq)}]"))
        if last:
            live.pop(slot)
            idle.append(conversation[0])
            open_conversation()
    return planned


def token(run_id: str, seq: int, kind: str = "c") -> str:
    """The mark that identifies a message of this run in the stored text: c = customer, r = agent reply."""
    return f"{run_id}{kind}{seq}"


def _provider_id(run_id: str, seq: int) -> str:
    return f"{run_id}{seq:010d}"


def webhook_request(settings: ProviderSettings, customer: Customer, message: PlannedMessage
                    ) -> tuple[str, bytes, dict[str, str]]:
    """(URL, raw body, headers) exactly as the customer's provider would deliver the message, signed."""
    if customer.provider == "meta":
        return _meta(settings, customer, message)
    if customer.provider == "twilio":
        return _twilio(settings, customer, message)
    body = {"id": f"sim-{message.provider_id}", "from": customer.phone, "text": message.text, "name": customer.name}
    return (f"{settings.base_url}/webhooks/sandbox/{settings.sandbox_account}", json.dumps(body).encode(),
            {"Content-Type": "application/json"})


def _meta(settings: ProviderSettings, customer: Customer, message: PlannedMessage) -> tuple[str, bytes, dict[str, str]]:
    wa_id = customer.phone.lstrip("+")
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": settings.meta_display_number,
                          "phone_number_id": settings.meta_phone_number_id},
             "contacts": [{"profile": {"name": customer.name}, "wa_id": wa_id}],
             "messages": [{"from": wa_id, "id": f"wamid.{message.provider_id}", "timestamp": str(int(time.time())),
                           "type": "text", "text": {"body": message.text}}]}
    raw = json.dumps({"object": "whatsapp_business_account",
                      "entry": [{"id": "0", "changes": [{"field": "messages", "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(settings.meta_app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return (f"{settings.base_url}/webhooks/meta/{settings.meta_account}", raw,
            {"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def _twilio(settings: ProviderSettings, customer: Customer, message: PlannedMessage
            ) -> tuple[str, bytes, dict[str, str]]:
    path = f"/webhooks/twilio/{settings.twilio_account}"
    sid = f"SM{message.provider_id}".ljust(34, "0")
    fields = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": customer.name, "MessageType": "text",
              "SmsSid": sid, "WaId": customer.phone.lstrip("+"), "SmsStatus": "received", "Body": message.text,
              "To": f"whatsapp:{settings.twilio_number}", "NumSegments": "1", "ReferralNumMedia": "0",
              "MessageSid": sid, "AccountSid": settings.twilio_account_sid, "From": f"whatsapp:{customer.phone}",
              "ApiVersion": "2010-04-01"}
    signed = twilio_signature(settings.twilio_auth_token, settings.public_url.rstrip("/") + path, fields)
    return (f"{settings.base_url}{path}", urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signed})
