"""Sending through Meta's API shape to a local fake: retries, backoff, Retry-After, failures, order,
restarts, and delivery states that only move forward (SPEC W4, D5)."""
from __future__ import annotations

import time

import pytest

from server.connectors.meta import parse
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Message, Queue
from tests.actors.harness import Core
from tests.actors.test_races import inbound, wait_until
from tests.connectors.fake_providers import Answer, FakeGraph

RETRIES = (0.05, 0.1, 0.2)


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def meta_core(tmp_path, graph):
    core = Core(tmp_path, send_retry_delays=RETRIES, send_timeout=0.5)
    [agent] = core.workspace(1)

    async def meta_account() -> None:
        await open_database(core.settings.resolved_database_url)
        await Account.create(key="meta-test", provider="meta", queue=await Queue.get(name="Q1"),
                             api_base_url=graph.base, credentials={
                                 "phone_number_id": "1098765", "access_token": "token-123",
                                 "app_secret": "s", "verify_token": "v"})
        await close_database()

    core.call(meta_account())
    core.start()
    core.agent = agent
    yield core
    core.close()


def open_conversation(core, phone: str) -> int:
    services = core.services
    core.call(services.agents.set_state(core.agent, "online", None))
    account = core.call(services.inbound.account("meta-test", "meta"))
    interaction_id = inbound(core, account, f"in-{phone}", phone).interaction_id
    wait_until(lambda: core.call(services.agents.offers(core.agent)))
    core.call(services.agents.accept(core.agent, interaction_id))
    return interaction_id


def message(core, message_id: int) -> Message:
    return core.call(Message.get(id=message_id))


def send(core, interaction_id: int, text: str) -> int:
    return core.call(core.services.interactions.send_text(core.agent, interaction_id, text))["id"]


def test_a_text_goes_out_in_the_graph_api_shape_and_is_marked_sent(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000001")
    message_id = send(meta_core, interaction_id, "Hello from the desk")
    wait_until(lambda: message(meta_core, message_id).status == "sent", timeout=5)
    [request] = graph.requests
    assert request["path"] == "/v21.0/1098765/messages"
    assert request["authorization"] == "Bearer token-123"
    assert request["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual",
                               "to": "393480000001", "type": "text",
                               "text": {"preview_url": False, "body": "Hello from the desk"}}
    assert message(meta_core, message_id).external_key.endswith(":wamid.fake1")


def test_server_errors_and_timeouts_are_retried_until_sent(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000002")
    graph.script = [Answer(500, {"error": {"message": "Internal", "code": 1}}), Answer(delay=1.0), Answer(503)]
    message_id = send(meta_core, interaction_id, "retry me")
    wait_until(lambda: message(meta_core, message_id).status == "sent", timeout=10)
    assert len(graph.requests) == 4
    gaps = [b["at"] - a["at"] for a, b in zip(graph.requests, graph.requests[1:])]
    assert gaps[0] >= RETRIES[0] and gaps[2] >= RETRIES[2]  # the delay grows


def test_a_429_waits_for_retry_after(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000003")
    graph.script = [Answer(429, {"error": {"message": "Rate limited", "code": 130429}}, {"Retry-After": "1"})]
    message_id = send(meta_core, interaction_id, "slow down")
    wait_until(lambda: message(meta_core, message_id).status == "sent", timeout=5)
    assert graph.requests[1]["at"] - graph.requests[0]["at"] >= 1.0


def test_a_refusal_fails_at_once_with_the_providers_reason(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000004")
    graph.script = [Answer(400, {"error": {"message": "Recipient phone number not in allowed list",
                                           "code": 131030}})]
    message_id = send(meta_core, interaction_id, "no")
    wait_until(lambda: message(meta_core, message_id).status == "failed", timeout=5)
    assert len(graph.requests) == 1
    assert "Recipient phone number not in allowed list (code 131030" in message(meta_core, message_id).error


def test_the_last_retry_failing_marks_the_message_failed(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000005")
    graph.script = [Answer(500, {"error": {"message": "Down", "code": 2}})] * (len(RETRIES) + 1)
    message_id = send(meta_core, interaction_id, "doomed")
    wait_until(lambda: message(meta_core, message_id).status == "failed", timeout=5)
    assert len(graph.requests) == len(RETRIES) + 1 and "Down" in message(meta_core, message_id).error


def test_messages_of_one_conversation_leave_in_order_even_when_the_first_is_retried(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000006")
    graph.script = [Answer(500), Answer(500)]
    first, second = send(meta_core, interaction_id, "first"), send(meta_core, interaction_id, "second")
    wait_until(lambda: message(meta_core, second).status == "sent", timeout=5)
    bodies = [r["json"]["text"]["body"] for r in graph.requests]
    assert bodies == ["first", "first", "first", "second"]
    assert message(meta_core, first).status == "sent"


def test_what_was_queued_at_a_stop_is_sent_after_the_restart(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000007")
    graph.script = [Answer(429, {"error": {"message": "Rate limited", "code": 130429}}, {"Retry-After": "30"})]
    message_id = send(meta_core, interaction_id, "survive")
    wait_until(lambda: len(graph.requests) == 1)
    time.sleep(0.1)
    assert message(meta_core, message_id).status == "queued"  # waiting out the Retry-After
    meta_core.stop()
    meta_core.start()
    wait_until(lambda: message(meta_core, message_id).status == "sent", timeout=5)
    assert graph.requests[-1]["json"]["text"]["body"] == "survive"


def test_delivery_states_only_move_forward(meta_core, graph):
    interaction_id = open_conversation(meta_core, "+393480000008")
    message_id = send(meta_core, interaction_id, "track me")
    wait_until(lambda: message(meta_core, message_id).status == "sent", timeout=5)
    wamid = message(meta_core, message_id).external_key.split(":", 1)[1]
    account = meta_core.call(meta_core.services.inbound.account("meta-test", "meta"))

    def apply(status: str, error: str | None = None) -> int:
        return meta_core.call(meta_core.services.inbound.apply_statuses(account, [(wamid, status, error)]))

    assert apply("read") == 1  # read may come without delivered before it
    assert apply("delivered") == 0 and apply("read") == 0 and apply("failed", "late") == 0
    row = message(meta_core, message_id)
    assert (row.status, row.error) == ("read", None)
    assert apply("sent") == 0 and message(meta_core, message_id).status == "read"


def test_meta_status_payloads_are_read_with_their_error_reason():
    raw = (b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":'
           b'{"statuses":[{"id":"wamid.A","status":"delivered","timestamp":"1","recipient_id":"39"},'
           b'{"id":"wamid.B","status":"failed","timestamp":"2","recipient_id":"39","errors":[{"code":131047,'
           b'"title":"Re-engagement message","error_data":{"details":"More than 24 hours have passed"}}]}]}}]}]}')
    [change] = parse(raw)
    updates = change.statuses
    assert [(u.message_id, u.status) for u in updates] == [("wamid.A", "delivered"), ("wamid.B", "failed")]
    assert updates[1].error == "Re-engagement message (131047): More than 24 hours have passed"
