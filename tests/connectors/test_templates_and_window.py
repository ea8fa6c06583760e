"""Templates in each provider's shape (Meta components, Twilio Content SID and variables) and the
customer service window's bookkeeping: free text refused once it closed, templates still allowed (T1)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from server.errors import Invalid, NotFound
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Interaction, Message, Queue, Template
from tests.actors.harness import Core
from tests.actors.test_races import inbound, wait_until
from tests.connectors.fake_providers import FakeGraph, FakeTwilio


@pytest.fixture
def core(tmp_path):
    graph, twilio = FakeGraph().start(), FakeTwilio().start()
    core = Core(tmp_path, send_retry_delays=(0.05,), send_timeout=0.5, public_url="https://cc.example.com")
    [core.agent] = core.workspace(1)

    async def accounts() -> None:
        await open_database(core.settings.resolved_database_url)
        queue = await Queue.get(name="Q1")
        await Account.create(key="meta-t", provider="meta", queue=queue, api_base_url=graph.base,
                             credentials={"phone_number_id": "555", "access_token": "tk"})
        await Account.create(key="tw-t", provider="twilio", queue=queue, phone_number="+15550002222",
                             api_base_url=twilio.base, credentials={"account_sid": "AC9", "auth_token": "t"})
        await Template.create(name="shipping", language="it", body="Ciao {{1}}, il pacco {{2}} è partito.",
                              provider_ids={"tw-t": "HX0123456789abcdef"})
        await Template.create(name="plain", language="en", body="We are here when you need us.")
        await Template.create(name="internal", body="Not for agents", available_for_agents=False)
        await close_database()

    core.call(accounts())
    core.start()
    core.call(core.services.agents.set_state(core.agent, "online", None))
    core.graph, core.twilio = graph, twilio
    yield core
    core.close()
    graph.stop()
    twilio.stop()


def conversation(core, account_key: str, provider: str, phone: str) -> int:
    account = core.call(core.services.inbound.account(account_key, provider))
    interaction_id = inbound(core, account, f"in-{phone}", phone).interaction_id
    wait_until(lambda: core.call(core.services.agents.offers(core.agent)))
    core.call(core.services.agents.accept(core.agent, interaction_id))
    return interaction_id


def sent(core, message_id: int) -> Message:
    wait_until(lambda: core.call(Message.get(id=message_id)).status in ("sent", "failed"), timeout=5)
    return core.call(Message.get(id=message_id))


def test_meta_gets_the_template_with_its_language_and_body_parameters(core):
    interaction_id = conversation(core, "meta-t", "meta", "+393471110001")
    message = core.call(core.services.interactions.send_template(core.agent, interaction_id, "shipping",
                                                                 ["Lia", "IT-88"]))
    assert message["kind"] == "template" and message["text"] == "Ciao Lia, il pacco IT-88 è partito."
    assert sent(core, message["id"]).status == "sent"
    assert core.graph.requests[-1]["json"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "393471110001", "type": "template",
        "template": {"name": "shipping", "language": {"code": "it"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Lia"}, {"type": "text", "text": "IT-88"}]}]}}
    plain = core.call(core.services.interactions.send_template(core.agent, interaction_id, "plain"))
    assert sent(core, plain["id"]).status == "sent"
    assert core.graph.requests[-1]["json"]["template"] == {"name": "plain", "language": {"code": "en"}}


def test_twilio_gets_the_content_sid_and_numbered_variables_and_refuses_a_template_without_one(core):
    interaction_id = conversation(core, "tw-t", "twilio", "+5511987652222")
    message = core.call(core.services.interactions.send_template(core.agent, interaction_id, "shipping",
                                                                 ["Lia", "IT-88"]))
    assert sent(core, message["id"]).status == "sent"
    form = core.twilio.requests[-1]["form"]
    assert form["ContentSid"] == "HX0123456789abcdef" and "Body" not in form
    assert json.loads(form["ContentVariables"]) == {"1": "Lia", "2": "IT-88"}
    unknown_to_twilio = core.call(core.services.interactions.send_template(core.agent, interaction_id, "plain"))
    failed = sent(core, unknown_to_twilio["id"])
    assert failed.status == "failed" and "no Twilio Content SID" in failed.error
    assert len(core.twilio.requests) == 1  # nothing was sent that could not succeed


def test_agents_cannot_send_a_template_kept_from_them(core):
    interaction_id = conversation(core, "meta-t", "meta", "+393471110002")
    with pytest.raises(NotFound):
        core.call(core.services.interactions.send_template(core.agent, interaction_id, "internal"))


def test_once_the_window_closed_only_templates_go_out_where_the_provider_enforces_it(core):
    meta_id = conversation(core, "meta-t", "meta", "+393471110003")
    details = core.call(core.services.interactions.get(core.agent, meta_id))
    last = datetime.fromisoformat(details["last_inbound_at"].replace("Z", "+00:00"))
    assert details["window_closes_at"] == (last + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    core.call(core.services.interactions.send_text(core.agent, meta_id, "still open"))

    long_ago = datetime.now(timezone.utc) - timedelta(hours=25)
    core.call(Interaction.filter(id=meta_id).update(last_inbound_at=long_ago))
    with pytest.raises(Invalid) as closed:
        core.call(core.services.interactions.send_text(core.agent, meta_id, "too late"))
    assert closed.value.code == "window_expired" and closed.value.status == 422
    assert "last 24 hours" in closed.value.message
    template = core.call(core.services.interactions.send_template(core.agent, meta_id, "plain"))
    assert sent(core, template["id"]).status == "sent"

    twilio_id = conversation(core, "tw-t", "twilio", "+5511987653333")  # not enforced for Twilio accounts
    core.call(Interaction.filter(id=twilio_id).update(last_inbound_at=long_ago))
    assert core.call(core.services.interactions.get(core.agent, twilio_id))["window_closes_at"] is None
    core.call(core.services.interactions.send_text(core.agent, twilio_id, "fine"))

    account = core.call(core.services.inbound.account("meta-t", "meta"))
    inbound(core, account, "in-again", "+393471110003", "I am back")  # the customer writes: open again
    core.call(core.services.interactions.send_text(core.agent, meta_id, "welcome back"))
