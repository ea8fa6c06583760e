"""Outbound campaigns (SPEC T5) on the running core, sending to a fake Graph API: the rate holds (measured
from the fake's arrival times), pause / resume / cancel, contacts skipped with their reason, the
provider's refusals recorded, replies entering the queue as normal inbound, and T4 refusing a customer
whose campaign message is still to go."""
from __future__ import annotations

import time

import pytest

from server.errors import Conflict, Forbidden
from server.persistence.db import close_database, open_database
from server.persistence.models import (CampaignRecipient, Contact, ContactList, ContactPhone, Interaction, Message,
                                       Tag)
from server.services.auth import Principal
from tests.actors.harness import Core
from tests.actors.test_races import wait_until
from tests.connectors.campaign_workspace import (ACCOUNT, LIST, MAPPING, TEMPLATE, campaign_workspace, phone_of,
                                                 recipients_of)
from tests.connectors.fake_providers import Answer, FakeGraph


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


def make_core(tmp_path, graph, contacts: int, extra=None) -> Core:
    core = Core(tmp_path, send_retry_delays=(0.05,), send_timeout=2)
    [core.agent] = core.workspace(1)

    async def create() -> None:
        await open_database(core.settings.resolved_database_url)
        admin_id = await campaign_workspace("Q1", graph.base, contacts)
        core.admin = Principal(admin_id, "admin", "admin", "")
        if extra is not None:
            await extra()
        await close_database()

    core.call(create())
    core.start()
    return core


@pytest.fixture
def small(tmp_path, graph):
    core = make_core(tmp_path, graph, 40)
    yield core
    core.close()


def create(core, **body):
    body = {"name": "Spring", "account": ACCOUNT, "list": LIST, "template": TEMPLATE, "variables": MAPPING,
            "rate": 20, **body}
    return core.call(core.services.campaigns.create(core.admin, body))


def act(core, campaign_id: int, action: str) -> dict:
    return core.call(core.services.campaigns.act(core.admin, campaign_id, action))


def totals(core, campaign_id: int) -> dict:
    return core.call(core.services.campaigns.get(core.admin, campaign_id))["totals"]


def finished(core, campaign_id: int) -> bool:
    return core.call(core.services.campaigns.get(core.admin, campaign_id))["state"] == "finished"


def test_the_rate_holds_and_every_contact_gets_one_message(tmp_path, graph):
    core = make_core(tmp_path, graph, 250)
    try:
        campaign = create(core, rate=50)
        assert campaign["state"] == "draft" and not graph.requests
        started = act(core, campaign["id"], "start")
        assert started["state"] == "running" and started["totals"]["pending"] + started["totals"]["queued"] > 0
        wait_until(lambda: finished(core, campaign["id"]), timeout=20)
        arrivals = [r["at"] for r in graph.requests]
        rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        print(f"measured rate {rate:.2f} msg/s for a set rate of 50")
        assert abs(rate - 50) / 50 < 0.10, rate
        assert sorted(recipients_of(graph.requests)) == sorted(phone_of(n) for n in range(250))
        first = graph.requests[0]["json"]["template"]
        assert first["name"] == TEMPLATE
        assert [p["text"] for p in first["components"][0]["parameters"]] == ["Name0", "Acme", "City0"]
        assert totals(core, campaign["id"]) == {"pending": 0, "queued": 0, "sent": 250, "delivered": 0, "read": 0,
                                               "failed": 0, "skipped": 0, "cancelled": 0}
        message = core.call(Message.filter(direction="out").order_by("id").first())
        assert message.sender == "System" and message.text == "Hi Name0, news from Acme for City0."
        interaction = core.call(Interaction.get(id=message.interaction_id))
        assert interaction.status == "closed" and interaction.owner_id is None  # offered to nobody
    finally:
        core.close()


def test_pause_stops_sending_resume_goes_on_and_cancel_ends_it(small, graph):
    campaign = create(small, rate=20)
    act(small, campaign["id"], "start")
    wait_until(lambda: len(graph.requests) >= 5)
    act(small, campaign["id"], "pause")
    time.sleep(0.3)  # what was written before the pause is still sent
    held = len(graph.requests)
    time.sleep(0.5)
    assert len(graph.requests) == held < 40
    with pytest.raises(Conflict):
        act(small, campaign["id"], "pause")
    act(small, campaign["id"], "resume")
    wait_until(lambda: len(graph.requests) >= held + 5)
    cancelled = act(small, campaign["id"], "cancel")
    time.sleep(0.3)
    sent = len(graph.requests)
    time.sleep(0.4)
    assert len(graph.requests) == sent < 40
    counts = totals(small, campaign["id"])
    assert counts["cancelled"] == 40 - sent and counts["sent"] == sent and counts["pending"] == 0
    assert cancelled["state"] == "cancelled"
    assert len(set(recipients_of(graph.requests))) == sent  # nobody twice


def test_contacts_without_a_valid_number_or_a_value_are_skipped_with_the_reason(tmp_path, graph):
    async def awkward() -> None:
        people = await ContactList.get(name=LIST)
        await Contact.create(list=people, first_name="Nophone", field_values={"city": "Rome"})
        bad = await Contact.create(list=people, first_name="Badnumber", field_values={"city": "Rome"})
        await ContactPhone.create(contact=bad, phone="+3912")
        nameless = await Contact.create(list=people, first_name="", field_values={"city": "Rome"})
        await ContactPhone.create(contact=nameless, phone="+393339999001")
        twin = await Contact.create(list=people, first_name="Twin", field_values={"city": "Rome"})
        await ContactPhone.create(contact=twin, phone=phone_of(0))

    core = make_core(tmp_path, graph, 3, awkward)
    try:
        campaign = create(core, rate=50)
        act(core, campaign["id"], "start")
        wait_until(lambda: finished(core, campaign["id"]))
        reasons = {r["name"]: r["reason"] for r in core.call(core.services.campaigns.get(
            core.admin, campaign["id"], state="skipped"))["recipients"]["items"]}
        assert reasons == {"Nophone": "The contact has no phone number.",
                           "Badnumber": "+3912 is not a valid phone number.",
                           "": "No value for {{1}} (first_name).",
                           "Twin": f"{phone_of(0)} is another recipient's number too; it gets one message."}
        assert sorted(recipients_of(graph.requests)) == [phone_of(n) for n in range(3)]
        assert totals(core, campaign["id"])["skipped"] == 4
    finally:
        core.close()


def test_a_tag_filter_takes_only_the_tagged_contacts(tmp_path, graph):
    async def tagged() -> None:
        vip = await Tag.create(name="vip")
        for contact in await Contact.filter(first_name__in=["Name1", "Name3"]):
            await contact.tags.add(vip)

    core = make_core(tmp_path, graph, 5, tagged)
    try:
        campaign = create(core, tags=["vip"], rate=50)
        act(core, campaign["id"], "start")
        wait_until(lambda: finished(core, campaign["id"]))
        assert sorted(recipients_of(graph.requests)) == [phone_of(1), phone_of(3)]
    finally:
        core.close()


def test_a_refusal_is_recorded_with_the_providers_reason(small, graph):
    graph.answers_for[phone_of(2).lstrip("+")] = Answer(400, {"error": {
        "message": "Message undeliverable", "code": 131026}})
    campaign = create(small, rate=50)
    act(small, campaign["id"], "start")
    wait_until(lambda: finished(small, campaign["id"]))
    [failed] = small.call(small.services.campaigns.get(small.admin, campaign["id"], state="failed"))[
        "recipients"]["items"]
    assert failed["phone"] == phone_of(2) and "Message undeliverable" in failed["reason"]
    assert "131026" in failed["reason"]
    assert totals(small, campaign["id"])["failed"] == 1 and totals(small, campaign["id"])["sent"] == 39


def test_a_reply_enters_the_accounts_queue_as_normal_inbound(small, graph):
    services = small.services
    small.call(services.agents.set_state(small.agent, "online", None))
    campaign = create(small, rate=50)
    act(small, campaign["id"], "start")
    wait_until(lambda: finished(small, campaign["id"]))
    account = small.call(services.inbound.account(ACCOUNT, "meta"))
    reply = small.call(services.inbound.receive(account, "wamid.reply-1", phone_of(4), "Tell me more"))
    assert reply.created_interaction
    wait_until(lambda: any(o["interaction_id"] == reply.interaction_id
                           for o in small.call(services.agents.offers(small.agent))))
    sent = small.call(CampaignRecipient.get(phone=phone_of(4)).prefetch_related("message"))
    assert sent.message.interaction_id != reply.interaction_id
    new = small.call(Interaction.get(id=reply.interaction_id))
    assert new.status == "open" and new.contact_id == sent.contact_id


def test_a_new_outbound_to_a_customer_with_a_pending_campaign_message_is_refused(small, graph):
    services = small.services
    small.call(services.agents.set_state(small.agent, "online", None))
    campaign = create(small, rate=0.1)
    act(small, campaign["id"], "start")  # the first goes at once, the second in ten seconds
    with pytest.raises(Conflict) as refused:
        small.call(services.outbound.check(small.agent, ACCOUNT, phone_of(39)))
    assert refused.value.code == "campaign_pending" and "Spring" in refused.value.message
    act(small, campaign["id"], "pause")
    with pytest.raises(Conflict):
        small.call(services.outbound.check(small.agent, ACCOUNT, phone_of(39)))
    act(small, campaign["id"], "cancel")
    assert small.call(services.outbound.check(small.agent, ACCOUNT, phone_of(39)))["case"] == "template"


def test_only_admins_run_campaigns(small):
    with pytest.raises(Forbidden):
        small.call(small.services.campaigns.create(small.agent, {}))
    campaign = create(small)
    with pytest.raises(Forbidden):
        small.call(small.services.campaigns.act(small.agent, campaign["id"], "start"))
