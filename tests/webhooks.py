"""Webhooks as a provider sends them to a running test server, signed."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx


def signed_meta_text(base: str, account: str, app_secret: str, phone: str, text: str = "hi") -> httpx.Response:
    """A Meta Cloud API text message from `phone` to `account`, signed with `app_secret` as Meta signs."""
    wa_id = phone.lstrip("+")
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100009",
                                                          "phone_number_id": "555"},
            "contacts": [{"profile": {"name": "Meta Customer"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": "1764100000",
                          "type": "text", "text": {"body": text}}]}}]}]}
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{base}/webhooks/meta/{account}", content=raw, timeout=20,
                      headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
