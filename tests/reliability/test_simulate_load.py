"""scripts/simulate_load.py (SPEC O3): a real server under a small open-loop load loses nothing, on SQLite and
on PostgreSQL; the loss check it ends with fails when a message is missing, doubled or badly owned; the
webhooks it sends are signed and shaped as the providers' own."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from server.connectors import meta, twilio
from server.errors import Forbidden
from tests.postgres import postgres_server
from tests.serverproc import ROOT, ServerProcess

sys.path.insert(0, str(ROOT / "scripts"))

from load_check import Sent, Stored, check_run  # noqa: E402
from load_plan import Customer, ProviderSettings, customers, plan_messages, webhook_request  # noqa: E402

pytestmark = pytest.mark.system  # run by .ci/run after the README suite (see pyproject.toml)

SCRIPT = ROOT / "scripts" / "simulate_load.py"
RUN = "ab12cd34"


def simulate(server: ServerProcess, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--base-url", server.base, "--rate", "10",
                           "--duration", "30", "--providers", "meta,twilio", "--no-progress", "--grace", "20",
                           *extra], capture_output=True, text=True, timeout=150, cwd=ROOT)


def test_a_load_run_on_sqlite_stores_every_message_once(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server").start()
    try:
        done = simulate(server, "--seed", "7")
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "LOSS CHECK PASSED: 0 lost, 0 duplicated, 0 unexpected, 0 interactions in a bad state" in out
    assert "customer messages: 300 sent, 300 acknowledged, 0 never acknowledged" in out
    throughput = float(re.search(r"^throughput\s+([\d.]+) messages/s acknowledged \(300 of 300\)", out, re.M)[1])
    assert 8 <= throughput <= 12
    for figure in ("webhook ack", "inbound to offer", "accept"):
        assert re.search(rf"^{figure}\s+p50\s+[\d.]+\s+p95\s+[\d.]+\s+p99\s+[\d.]+\s+max\s+[\d.]+ ms", out, re.M), out


def test_a_load_run_on_postgresql_stores_every_message_once(tmp_path: Path) -> None:
    with postgres_server() as url:
        server = ServerProcess(tmp_path / "server", database_url=url).start()
        try:
            done = simulate(server, "--seed", "8", "--json")
        finally:
            server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    check = result["loss_check"]
    assert check["ok"] and (check["lost"], check["duplicated"], check["bad_states"]) == (0, 0, 0)
    assert check["customer_sent"] == check["customer_acknowledged"] == 300
    assert check["replies_acknowledged"] > 0 and check["stored"] == 300 + check["replies_acknowledged"]
    assert 8 <= result["throughput"] <= 12 and result["agents"] == 5
    assert result["webhook_ack_ms"]["count"] == 300 and result["accept_ms"]["count"] == result["accepted"] > 0
    assert result["inbound_to_offer_ms"]["count"] > 0 and result["inbound_to_offer_ms"]["p99"] > 0


def run_of(customer_marks: dict[str, bool], stored_marks: list[str], *, winners: dict[int, list[str]] | None = None,
           interactions: dict[int, dict] | None = None, closed: set[int] | None = None) -> tuple[Sent, Stored]:
    sent = Sent(customer_marks, {}, defaultdict(list, winners or {}), closed or set())
    texts = [(1, "in", f"Hello [{mark}]") for mark in stored_marks]
    return sent, Stored(interactions or {1: {"id": 1, "status": "closed", "owner": None, "queue": "Q"}}, texts)


def test_the_check_passes_when_every_message_is_stored_once() -> None:
    report = check_run(RUN, *run_of({f"{RUN}c0": True, f"{RUN}c1": True}, [f"{RUN}c0", f"{RUN}c1"]))
    assert report.ok and report.stored == 2 and "LOSS CHECK PASSED" in report.lines()[0]


def test_the_check_fails_when_an_acknowledged_message_is_missing() -> None:
    report = check_run(RUN, *run_of({f"{RUN}c0": True, f"{RUN}c1": True}, [f"{RUN}c0"]))
    assert not report.ok and report.lost == [f"{RUN}c1"]
    assert report.lines()[0].startswith("LOSS CHECK FAILED: 1 lost, 0 duplicated")


def test_the_check_fails_when_a_message_is_stored_twice_or_was_never_sent() -> None:
    report = check_run(RUN, *run_of({f"{RUN}c0": True}, [f"{RUN}c0", f"{RUN}c0", f"{RUN}c9", "other99c1"]))
    assert not report.ok and report.duplicated == [f"{RUN}c0 x2"] and report.unexpected == [f"{RUN}c9"]


def test_a_refused_message_that_was_not_stored_is_reported_but_not_lost() -> None:
    report = check_run(RUN, *run_of({f"{RUN}c0": True, f"{RUN}c1": False}, [f"{RUN}c0"]))
    assert report.ok and report.refused == [f"{RUN}c1"] and not report.lost


def test_the_check_fails_when_nothing_was_acknowledged() -> None:
    assert not check_run(RUN, *run_of({f"{RUN}c0": False}, [])).ok


@pytest.mark.parametrize("case, row, winners, closed", [
    ("two winners", {"status": "closed", "owner": None}, {1: ["agent1", "agent2"]}, set()),
    ("closed but open", {"status": "open", "owner": "agent1"}, {1: ["agent1"]}, {1}),
    ("owner is not the winner", {"status": "open", "owner": "agent2"}, {1: ["agent1"]}, set()),
    ("won but unowned", {"status": "open", "owner": None}, {1: ["agent1"]}, set()),
])
def test_the_check_fails_on_an_interaction_in_a_bad_state(case, row, winners, closed) -> None:
    sent, stored = run_of({f"{RUN}c0": True}, [f"{RUN}c0"], winners=winners, closed=closed,
                          interactions={1: {"id": 1, "queue": "Q", **row}})
    report = check_run(RUN, sent, stored)
    assert not report.ok and len(report.bad_states) == 1, case


def test_unowned_open_interactions_must_be_waiting_in_their_queue() -> None:
    sent, stored = run_of({f"{RUN}c0": True}, [f"{RUN}c0"],
                          interactions={1: {"id": 1, "status": "open", "owner": None, "queue": "Q"},
                                        2: {"id": 2, "status": "open", "owner": None, "queue": "Q"}})
    stored.waiting = {"Q": 2}
    assert check_run(RUN, sent, stored).ok
    stored.waiting = {"Q": 1}
    assert not check_run(RUN, sent, stored).ok


def test_the_webhooks_are_signed_and_shaped_as_meta_and_twilio_send_them() -> None:
    settings = ProviderSettings("http://127.0.0.1:9", "https://public.example")
    [message] = plan_messages(rate=1, duration=1, customer_count=1, active=1, parts=(1, 1), seed=3, run_id=RUN)
    phone = customers(1, 3, ("meta",))[0].phone
    url, raw, headers = webhook_request(settings, Customer(0, phone, "Ana Souza", "meta"), message)
    assert url == "http://127.0.0.1:9/webhooks/meta/meta-demo"
    meta.check_signature({"app_secret": "demo-app-secret"}, raw, headers["X-Hub-Signature-256"])
    with pytest.raises(Forbidden):
        meta.check_signature({"app_secret": "another"}, raw, headers["X-Hub-Signature-256"])
    [change] = meta.parse(raw)
    [parsed] = change.messages
    assert (parsed.sender, parsed.name, parsed.text) == (phone.lstrip("+"), "Ana Souza", message.text)

    url, raw, headers = webhook_request(settings, Customer(0, phone, "Ana Souza", "twilio"), message)
    fields = dict(parse_qsl(raw.decode()))
    twilio.check_signature({"auth_token": "demo-auth-token"}, "https://public.example/webhooks/twilio/twilio-demo",
                           fields, headers["X-Twilio-Signature"])
    parsed = twilio.parse_message(fields)
    assert (parsed.sender, parsed.text) == (f"whatsapp:{phone}", message.text) and len(fields["MessageSid"]) == 34


def test_the_plan_is_open_loop_evenly_spaced_and_fixed_by_its_seed() -> None:
    one = plan_messages(rate=20, duration=5, customer_count=30, active=10, parts=(2, 4), seed=5, run_id=RUN)
    again = plan_messages(rate=20, duration=5, customer_count=30, active=10, parts=(2, 4), seed=5, run_id=RUN)
    assert [(m.customer, m.text) for m in one] == [(m.customer, m.text) for m in again]
    assert len(one) == 100 and [m.at for m in one] == [i / 20 for i in range(100)]
    assert len({m.provider_id for m in one}) == 100
    per_customer = defaultdict(list)
    for m in one:
        per_customer[m.customer].append(m)
    for messages in per_customer.values():  # conversations of 2-4 parts, one after another, the last marked
        previous = None
        for m in messages:
            assert m.part == (1 if previous is None or previous.last else previous.part + 1)
            assert m.part <= 4 and (not m.last or m.part >= 2)
            previous = m
