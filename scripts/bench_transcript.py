"""How long a big PDF transcript takes: 5,000 messages in mixed scripts (with emoji, notes and a few
attachments) rendered directly through the renderer, no server. Prints render time, pages and PDF size.

    python scripts/bench_transcript.py [--messages 5000]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.services.transcript_pdf import render_transcript  # noqa: E402

TEXTS = [
    "Hello, I ordered a phone last week and it has not arrived yet. Can you check the tracking number?",
    "Buongiorno! Città, perché, già: è tutto a posto con l'ordine numero 4711? Grazie mille 😊",
    "Здравствуйте! Мой заказ до сих пор не доставлен, подскажите, пожалуйста, что случилось?",
    "مرحبا، أريد أن أعرف حالة طلبي من فضلك. شكرا لك",
    "你好，我的订单还没有到，请帮我查一下物流信息。谢谢！",
    "Sure <b>thing</b> & done: refund issued 👍🏽 — ticket #A-77 > closed",
    "Ελληνικά: ευχαριστώ πολύ! 🇮🇹 👨‍👩‍👧",
]


def build(n: int) -> tuple[dict, list[dict]]:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    interaction = {
        "id": 4242, "status": "closed", "owner": "agent2", "first_agent": "agent1", "queue": "WhatsAppConn1",
        "account": "demo", "provider": "sandbox", "contact": {"id": 7, "name": "Rosa •••", "phone": "+393•••12"},
        "created_at": iso(start), "accepted_at": iso(start + timedelta(seconds=20)),
        "closed_at": iso(start + timedelta(seconds=30 * n)), "disposition": "Solved", "tags": ["vip", "refund"],
        "history": [
            {"kind": "offered", "agents": ["agent1"], "detail": "", "at": iso(start)},
            {"kind": "accepted", "agents": ["agent1"], "detail": "", "at": iso(start + timedelta(seconds=20))},
            {"kind": "transfer_requested", "agents": ["agent1", "agent2"], "detail": "to agent2",
             "at": iso(start + timedelta(hours=1))},
            {"kind": "transfer_accepted", "agents": ["agent2"], "detail": "", "at": iso(start + timedelta(hours=1))},
            {"kind": "closed", "agents": ["agent2"], "detail": "Solved", "at": iso(start + timedelta(seconds=30 * n))},
        ],
    }
    messages = []
    for i in range(n):
        direction = "note" if i % 50 == 49 else ("in" if i % 2 == 0 else "out")
        status = {"in": "received", "note": "internal"}.get(direction, ["sent", "delivered", "read", "failed"][i % 4])
        attachment = None
        if i % 500 == 7:
            attachment = {"content_type": "application/pdf", "filename": f"invoice-{i}.pdf", "size": 180_000 + i,
                          "state": "stored", "error": None, "url": None}
        messages.append({
            "id": i + 1, "direction": direction, "kind": "document" if attachment else "text",
            "text": TEXTS[i % len(TEXTS)], "status": status,
            "sender": "Rosa •••" if direction == "in" else "Agent Two",
            "error": "131047: re-engagement message" if status == "failed" else None,
            "created_at": iso(start + timedelta(seconds=30 * i)), "attachment": attachment,
        })
    return interaction, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--out", type=Path, help="also write the PDF here")
    args = parser.parse_args()
    interaction, messages = build(args.messages)
    render_transcript(interaction, messages[:5], viewer="bench")  # fonts loaded once, as in a running server
    started = time.perf_counter()
    pdf = render_transcript(interaction, messages, viewer="bench")
    elapsed = time.perf_counter() - started
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(f"{args.messages} messages: rendered in {elapsed:.2f} s, {len(pdf) / 1024:.0f} KiB, ~{pages} pages")
    if args.out:
        args.out.write_bytes(pdf)


if __name__ == "__main__":
    main()
