"""New conversations started by an agent (SPEC T4) on a Meta and a Twilio account: exactly one case applies
- the conversation is open with another agent (refused, naming them), the customer is not a contact yet
(a template, and the trigger's list gets the contact), the window closed (a template; free text refused
with 422), the window is open (free text) - and the provider receives the message in its own shape. The
new interaction is the agent's from the start, offered to nobody; the customer's reply joins it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from server.errors import Conflict, Forbidden, Invalid
from server.persistence.db import close_database, open_database
from server.persistence.models import (Account, Contact, ContactList, ContactPhone, ContactTrigger, Interaction,
                                       ListPermission, Queue, Template)
from server.services.auth import Principal
from tests.actors.harness import Core
from tests.actors.test_races import inbound, wait_until
from tests.connectors.fake_providers import FakeGraph, FakeTwilio
from tests.connectors.test_templates_and_window import sent

ACCOUNTS = [("meta-o", "meta", "39347111200"), ("tw-o", "twilio", "551198765000")]  # numbers less a digit


@pytest.fixture
def core(tmp_path):
    graph, twilio = FakeGraph().start(), FakeTwilio().start()
    core = Core(tmp_path, send_retry_delays=(0.05,), send_timeout=0.5, public_url="https://cc.example.com")
    core.agents = core.workspace(2)

    async def accounts() -> None:
        await open_database(core.settings.resolved_database_url)
        queue = await Queue.get(name="Q1")
        await Account.create(key="meta-o", provider="meta", queue=queue, api_base_url=graph.base,
                             credentials={"phone_number_id": "555", "access_token": "tk"},
                             recontact_template="recontact")
        await Template.create(name="recontact", language="en", body="Hi {{1}}, {{2}} here: shall we go on?")
        await Account.create(key="tw-o", provider="twilio", queue=queue, phone_number="+15550002222", window_hours=24,
                             api_base_url=twilio.base, credentials={"account_sid": "AC9", "auth_token": "t"})
        await Template.create(name="welcome", language="en", body="Hello {{1}}, we have news about {{2}}.",
                              provider_ids={"tw-o": "HX00000000000000000000000000000001"})
        leads = await ContactList.create(name="Leads")
        for account in await Account.all():
            await ContactTrigger.create(account=account, list=leads)
        for agent in core.agents:  # a contact in a list they may not view is no contact to them
            await ListPermission.create(list=leads, user_id=agent.id, can_view=True)
        await close_database()

    core.call(accounts())
    core.start()
    for agent in core.agents:
        core.call(core.services.agents.set_state(agent, "online", None))
    core.graph, core.twilio = graph, twilio
    yield core
    core.close()
    graph.stop()
    twilio.stop()


def start(core, agent, **body):
    return core.call(core.services.outbound.start(agent, body))


def template_request(core, provider: str) -> dict:
    if provider == "meta":
        return core.graph.requests[-1]["json"]
    form = core.twilio.requests[-1]["form"]
    return {"sid": form["ContentSid"], "variables": json.loads(form["ContentVariables"])}


@pytest.mark.parametrize(("key", "provider", "digits"), ACCOUNTS)
def test_an_unknown_number_opens_with_a_template_owned_by_the_agent_and_offered_to_nobody(core, key, provider,
                                                                                        digits):
    agent, other = core.agents
    phone = f"+{digits}1"
    check = core.call(core.services.outbound.check(agent, key, phone))
    assert check["case"] == "template" and "not a contact" in check["reason"]
    with pytest.raises(Invalid) as refused:
        start(core, agent, account=key, phone=phone, text="Hi!")
    assert refused.value.status == 422 and refused.value.code == "window_expired"
    assert not core.call(Interaction.filter(customer_phone=phone).exists())  # nothing was opened
    opened = start(core, agent, account=key, phone=phone, template="welcome", variables=["Ada", "your order"])
    interaction = opened["interaction"]
    assert interaction["owner"] == agent.username and interaction["status"] == "open"
    assert opened["message"]["text"] == "Hello Ada, we have news about your order."
    assert sent(core, opened["message"]["id"]).status == "sent"
    if provider == "meta":
        assert template_request(core, provider)["template"] == {
            "name": "welcome", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Ada"}, {"type": "text", "text": "your order"}]}]}
    else:
        assert template_request(core, provider) == {"sid": "HX00000000000000000000000000000001",
                                                     "variables": {"1": "Ada", "2": "your order"}}
    assert core.call(core.services.agents.offers(other)) == []  # offered to nobody
    wait_until(lambda: interaction["id"] in core.call(core.services.agents.desk_view(agent)).open)
    contact = core.call(Contact.get(id=interaction["contact"]["id"]).prefetch_related("list"))
    assert contact.list.name == "Leads"  # the trigger's list got the new contact

    account = core.call(core.services.inbound.account(key, provider))
    reply = inbound(core, account, f"reply-{phone}", phone, "Thanks, tell me more")
    assert reply.interaction_id == interaction["id"] and not reply.created_interaction  # the reply joins it
    wait_until(lambda: core.call(core.services.interactions.get(agent, interaction["id"]))["unread"] == 1)


@pytest.mark.parametrize(("key", "provider", "digits"), ACCOUNTS)
def test_a_known_customer_gets_free_text_while_the_window_is_open_and_a_template_after(core, key, provider, digits):
    agent, _ = core.agents
    phone = f"+{digits}2"
    account = core.call(core.services.inbound.account(key, provider))
    earlier = inbound(core, account, f"in-{phone}", phone, "hello").interaction_id
    wait_until(lambda: core.call(core.services.agents.offers(agent)))
    core.call(core.services.agents.accept(agent, earlier))
    core.call(core.services.interactions.close(agent, earlier))
    wait_until(lambda: core.call(Interaction.get(id=earlier)).status == "closed")

    assert core.call(core.services.outbound.check(agent, key, phone))["case"] == "free_text"
    opened = start(core, agent, account=key, phone=phone, text="Following up on your question")
    assert sent(core, opened["message"]["id"]).status == "sent"
    assert opened["interaction"]["contact"]["id"] == core.call(Interaction.get(id=earlier)).contact_id
    core.call(core.services.interactions.close(agent, opened["interaction"]["id"]))
    wait_until(lambda: core.call(Interaction.get(id=opened["interaction"]["id"])).status == "closed")

    long_ago = datetime.now(timezone.utc) - timedelta(hours=25)
    core.call(Interaction.filter(customer_phone=phone).update(last_inbound_at=long_ago))
    check = core.call(core.services.outbound.check(agent, key, phone))
    assert check["case"] == "template" and "24 hours" in check["reason"]
    with pytest.raises(Invalid) as refused:
        start(core, agent, account=key, phone=phone, text="too late")
    assert refused.value.code == "window_expired"
    opened = start(core, agent, account=key, phone=phone, template="welcome", variables=["Bo", "the refund"])
    assert sent(core, opened["message"]["id"]).status == "sent"


def test_an_open_conversation_is_refused_naming_its_owner_in_any_format_of_the_number(core):
    agent, other = core.agents
    start(core, agent, account="meta-o", phone="+39 347 111 2003", template="welcome", variables=["A", "B"])
    with pytest.raises(Conflict) as taken:
        start(core, other, account="meta-o", phone="0039 347 1112003", template="welcome", variables=["A", "B"])
    assert taken.value.code == "owned" and agent.username in taken.value.message
    with pytest.raises(Conflict) as mine:
        core.call(core.services.outbound.check(agent, "meta-o", "+393471112003"))
    assert mine.value.code == "open_already"
    assert core.call(Interaction.filter(customer_phone="+393471112003").count()) == 1


def test_racing_agents_open_one_conversation(core):
    agent, other = core.agents
    body = {"account": "meta-o", "phone": "+393471112004", "template": "welcome", "variables": ["A", "B"]}
    futures = [core.call_async(core.services.outbound.start(a, body)) for a in (agent, other)]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result(30)["interaction"]["owner"])
        except Conflict as error:
            outcomes.append(error.code)
    assert sorted(o for o in outcomes if o != "owned") in ([agent.username], [other.username])
    assert outcomes.count("owned") == 1
    assert core.call(Interaction.filter(customer_phone="+393471112004").count()) == 1


def test_bad_requests_open_nothing(core):
    agent, _ = core.agents
    for body, error in ((dict(account="meta-o", phone="12ab", template="welcome", variables=["A", "B"]), Invalid),
                        (dict(account="meta-o", phone="+393471112005", template="welcome", variables=["A"]), Invalid),
                        (dict(account="meta-o", phone="+393471112005", template="welcome", text="x"), Invalid),
                        (dict(account="meta-o", phone="+393471112005"), Invalid),
                        (dict(account="nope", phone="+393471112005", text="x"), Exception)):
        with pytest.raises(error):
            start(core, agent, **body)
    assert not core.call(Interaction.filter(customer_phone="+393471112005").exists())
    assert not core.call(ContactPhone.filter(phone="+393471112005").exists())


def test_only_agents_of_the_accounts_queue_start_conversations(core):
    outsider = Principal(10_000, "outsider", "supervisor", "Not In Q1")
    with pytest.raises(Forbidden):
        start(core, outsider, account="meta-o", phone="+393471112006", template="welcome", variables=["A", "B"])


def test_a_recontact_template_goes_from_system_and_the_reply_reopens_the_window(core):
    agent, _ = core.agents
    phone = "+393471112007"
    opened = start(core, agent, account="meta-o", phone=phone, template="welcome", variables=["Eva", "your visit"])
    interaction_id = opened["interaction"]["id"]
    with pytest.raises(Invalid):  # the customer has not answered: the window never opened
        core.call(core.services.interactions.send_text(agent, interaction_id, "hello?"))
    core.call(Contact.filter(phones__phone=phone).update(first_name="Eva"))
    recontact = core.call(core.services.interactions.recontact(agent, interaction_id))
    assert recontact["sender"] == "System" and recontact["kind"] == "template"
    assert recontact["text"] == f"Hi Eva, {agent.full_name or agent.username} here: shall we go on?"
    assert sent(core, recontact["id"]).status == "sent"
    assert core.graph.requests[-1]["json"]["template"]["name"] == "recontact"

    account = core.call(core.services.inbound.account("meta-o", "meta"))
    wamid = sent(core, recontact["id"]).external_key.split(":", 1)[1]
    assert core.call(core.services.inbound.apply_statuses(account, [(wamid, "read", None)])) == 1
    with pytest.raises(Invalid):  # a status callback is not the customer writing: the window stays closed
        core.call(core.services.interactions.send_text(agent, interaction_id, "you read it!"))
    inbound(core, account, "eva-reply", phone, "Yes please")
    wait_until(lambda: core.call(core.services.interactions.get(agent, interaction_id))["unread"] == 1)
    with pytest.raises(Conflict) as still_open:
        core.call(core.services.interactions.recontact(agent, interaction_id))
    assert still_open.value.code == "window_open"
    message = core.call(core.services.interactions.send_text(agent, interaction_id, "Great, here we go"))
    assert sent(core, message["id"]).status == "sent"


def test_an_account_without_a_recontact_template_says_so(core):
    agent, _ = core.agents
    opened = start(core, agent, account="tw-o", phone="+5511987650008", template="welcome", variables=["A", "B"])
    with pytest.raises(Conflict) as none:
        core.call(core.services.interactions.recontact(agent, opened["interaction"]["id"]))
    assert none.value.code == "no_recontact_template"
