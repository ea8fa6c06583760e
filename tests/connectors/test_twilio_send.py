"""Sending through Twilio's Messages resource to a local fake; Twilio's status callbacks read."""
from __future__ import annotations

import base64

import pytest

from server.connectors.twilio import parse_status
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Message, Queue
from tests.actors.harness import Core
from tests.actors.test_races import inbound, wait_until
from tests.connectors.fake_providers import Answer, FakeTwilio


@pytest.fixture
def twilio_core(tmp_path):
    fake = FakeTwilio().start()
    core = Core(tmp_path, send_retry_delays=(0.05, 0.1), send_timeout=0.5, public_url="https://cc.example.com")
    [agent] = core.workspace(1)

    async def account() -> None:
        await open_database(core.settings.resolved_database_url)
        await Account.create(key="tw", provider="twilio", queue=await Queue.get(name="Q1"), phone_number="+15550001111",
                             api_base_url=fake.base, credentials={"account_sid": "AC123", "auth_token": "tok"})
        await close_database()

    core.call(account())
    services = core.start()
    core.call(services.agents.set_state(agent, "online", None))
    tw = core.call(services.inbound.account("tw", "twilio"))
    interaction_id = inbound(core, tw, "SMin1", "+5511987651111").interaction_id
    wait_until(lambda: core.call(services.agents.offers(agent)))
    core.call(services.agents.accept(agent, interaction_id))
    yield core, fake, agent, interaction_id, tw
    core.close()
    fake.stop()


def test_a_text_goes_to_the_messages_resource_with_basic_auth_and_a_status_callback(twilio_core):
    core, fake, agent, interaction_id, _ = twilio_core
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "Oi!"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    [request] = fake.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    assert request["form"] == {"From": "whatsapp:+15550001111", "To": "whatsapp:+5511987651111", "Body": "Oi!",
                               "StatusCallback": "https://cc.example.com/webhooks/twilio/tw/status"}
    assert core.call(Message.get(id=message_id)).external_key.endswith(":SMfake1")


def test_a_twilio_refusal_fails_with_its_reason_and_a_500_is_retried(twilio_core):
    core, fake, agent, interaction_id, _ = twilio_core
    fake.script = [Answer(500), Answer(400, {"code": 63016, "message": "Outside the allowed window"})]
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "late"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "failed", timeout=5)
    assert len(fake.requests) == 2
    assert core.call(Message.get(id=message_id)).error == "Outside the allowed window (Twilio error 63016)"


def test_status_callbacks_move_the_message_forward_only(twilio_core):
    core, fake, agent, interaction_id, tw = twilio_core
    message_id = core.call(core.services.interactions.send_text(agent, interaction_id, "track"))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=5)
    sid = core.call(Message.get(id=message_id)).external_key.split(":", 1)[1]
    for state in ("delivered", "read", "delivered", "sent"):
        update = parse_status({"MessageSid": sid, "MessageStatus": state})
        core.call(core.services.inbound.apply_statuses(tw, [(update.message_id, update.status, update.error)]))
    assert core.call(Message.get(id=message_id)).status == "read"


def test_undelivered_reads_as_failed_with_twilios_error():
    update = parse_status({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "63024",
                           "ErrorMessage": "Invalid message recipient"})
    assert (update.status, update.error) == ("failed", "Twilio error 63024: Invalid message recipient")
    assert parse_status({"MessageSid": "SM1", "MessageStatus": "sending"}) is None
