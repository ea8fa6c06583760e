"""Templates at Meta and Twilio through the template service and its REST routes (SPEC T3): sync stores each
account's review statuses (following Meta's pages), creates what exists only at Meta and says what it
skips; submit posts Meta's creation shape; the Graph API's refusals and failures become clear errors;
Twilio Content SIDs are checked; every change leaves an audit entry."""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.api import templates as template_routes
from server.api.errors import install_error_handlers
from server.errors import Conflict, Forbidden, Invalid
from server.persistence.models import Account, AuditEntry, Campaign, ContactList, Queue, Template, User
from server.services.passwords import hash_password
from tests.connectors.fake_meta_templates import FakeTemplateGraph, meta_template
from tests.connectors.fake_providers import Answer
from tests.connectors.provider_core import provider_core

CREDENTIALS = {"waba_id": "WABA1", "access_token": "tk-meta", "phone_number_id": "555"}


@pytest.fixture
def meta(tmp_path) -> Iterator[SimpleNamespace]:
    graph = FakeTemplateGraph().start()
    with provider_core(tmp_path, key="meta-t", provider="meta", api_base_url=graph.base,
                       credentials=CREDENTIALS) as (core, agent, _):
        async def people() -> tuple[Any, str]:
            await User.create(username="boss", password_hash=hash_password("pw"), role="admin")
            await User.create(username="watcher", password_hash=hash_password("pw"), role="supervisor")
            await Account.create(key="tw-t", provider="twilio", queue=await Queue.get(name="Q1"),
                                 credentials={"account_sid": "AC1", "auth_token": "t"})
            token, admin = await core.services.auth.login("boss", "pw")
            return admin, token

        admin, token = core.call(people())
        api = FastAPI()
        install_error_handlers(api)
        api.include_router(template_routes.router, prefix="/api/v1")
        api.state.services = core.services
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test/api/v1",
                                   headers={"Authorization": f"Bearer {token}"})
        yield SimpleNamespace(core=core, graph=graph, admin=admin, agent=agent, client=client,
                              service=core.services.templates)
        core.call(client.aclose())
    graph.stop()


def http(meta: SimpleNamespace, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return meta.core.call(meta.client.request(method, path, **kwargs))


def template(meta: SimpleNamespace, name: str) -> Template:
    return meta.core.call(Template.get(name=name))


def audit(meta: SimpleNamespace, action: str) -> list[AuditEntry]:
    return meta.core.call(AuditEntry.filter(action=action).order_by("id"))


def error_of(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if code:
        assert error["code"] == code, error
    return error["message"]


# --- sync ------------------------------------------------------------------------------------------

def test_sync_follows_metas_pages_and_stores_each_templates_status(meta) -> None:
    meta.core.call(Template.create(name="order_update", language="en_US", body="Hi {{1}}, order {{2}} shipped."))
    meta.core.call(Template.create(name="gone_at_meta", language="en_US", body="Old",
                                   statuses={"meta-t": {"status": "APPROVED", "provider_id": "1", "reason": None}},
                                   provider_ids={"meta-t": "gone_at_meta", "tw-t": "HX" + "a" * 32}))
    meta.graph.templates = [
        meta_template("order_update", "Hi {{1}}, order {{2}} shipped.", template_id="111"),
        meta_template("spring_sale", "Sale!", status="REJECTED", category="MARKETING", template_id="222",
                      reason="PROMOTIONAL"),
        meta_template("welcome", "Welcome {{1}}", status="PENDING", language="it", template_id="333", extra=[
            {"type": "HEADER", "format": "TEXT", "text": "Benvenuto"}, {"type": "FOOTER", "text": "Team"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Grazie"}]}]),
        meta_template("photo_offer", "Look", extra=[{"type": "HEADER", "format": "IMAGE"}]),
        meta_template("visit_site", "Visit", extra=[{"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Open", "url": "https://example.com"}]}]),
    ]
    answer = http(meta, "POST", "/admin/accounts/meta-t/templates/sync")
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["updated"] == ["order_update"] and summary["removed"] == ["gone_at_meta"]
    assert sorted(summary["created"]) == ["spring_sale", "welcome"]
    assert {s["name"]: s["reason"] for s in summary["skipped"]} == {
        "photo_offer": "its header is of type IMAGE; this desk sends text headers only",
        "visit_site": "it has URL buttons; this desk sends quick replies only"}

    gets = [r for r in meta.graph.requests if r["method"] == "GET"]
    assert [r["query"].get("after") for r in gets] == [None, "2", "4"]  # three pages of two
    assert all(r["path"] == "/v21.0/WABA1/message_templates" and r["authorization"] == "Bearer tk-meta" for r in gets)
    assert "status" in gets[0]["query"]["fields"] and "components" in gets[0]["query"]["fields"]

    order = template(meta, "order_update")
    assert order.statuses == {"meta-t": {"status": "APPROVED", "provider_id": "111", "reason": None}}
    assert order.provider_ids == {"meta-t": "order_update"}  # Meta sends by name (and language)
    sale = template(meta, "spring_sale")
    assert sale.statuses["meta-t"] == {"status": "REJECTED", "provider_id": "222", "reason": "PROMOTIONAL"}
    assert sale.provider_ids == {} and sale.category == "marketing" and not sale.available_for_agents
    welcome = template(meta, "welcome")
    assert (welcome.language, welcome.header, welcome.body, welcome.footer, welcome.buttons) == (
        "it", "Benvenuto", "Welcome {{1}}", "Team", ["Grazie"])
    gone = template(meta, "gone_at_meta")
    assert gone.statuses == {} and gone.provider_ids == {"tw-t": "HX" + "a" * 32}  # Twilio's link stays
    [entry] = audit(meta, "template.sync")
    assert entry.username == "boss" and entry.target == "account meta-t" and entry.after["created"]


def test_a_meta_template_in_another_language_than_ours_is_skipped_with_the_reason(meta) -> None:
    meta.core.call(Template.create(name="greeting", language="en", body="Hello"))
    meta.graph.templates = [meta_template("greeting", "Ciao", language="it")]
    summary = meta.core.call(meta.service.sync_meta(meta.admin, "meta-t"))
    assert summary["skipped"] == [{"name": "greeting", "language": "it",
                                   "reason": "the template here of this name is in en"}]
    assert template(meta, "greeting").statuses == {}


def test_a_next_page_on_another_host_is_not_followed(meta) -> None:
    meta.graph.templates = [meta_template(f"t{n}", "x") for n in range(3)]
    meta.graph.next_base = "http://127.0.0.2:9/v21.0"
    message = error_of(http(meta, "POST", "/admin/accounts/meta-t/templates/sync"), 502, "provider_error")
    assert "another host" in message
    assert meta.core.call(Template.filter(name__startswith="t").count()) == 0


# --- submit ----------------------------------------------------------------------------------------

def test_submit_posts_metas_creation_shape_and_stores_the_id_and_status(meta) -> None:
    created = meta.core.call(meta.service.create(meta.admin, {
        "name": "order_update", "language": "en_US", "category": "utility", "header": "Your order",
        "body": "Hi {{1}}, order {{2}} shipped.", "footer": "Thanks", "buttons": ["Track", "Help"]}))
    answer = http(meta, "POST", f"/admin/templates/{created['id']}/submit",
                  json={"account": "meta-t", "examples": ["Pablo", "A-17"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["statuses"] == {"meta-t": {"status": "PENDING", "provider_id": "100001", "reason": None}}
    [posted] = meta.graph.requests
    assert posted["method"] == "POST" and posted["path"] == "/v21.0/WABA1/message_templates"
    assert posted["authorization"] == "Bearer tk-meta"
    assert posted["json"] == {"name": "order_update", "language": "en_US", "category": "UTILITY", "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Your order"},
        {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.", "example": {"body_text": [["Pablo", "A-17"]]}},
        {"type": "FOOTER", "text": "Thanks"},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Track"},
                                        {"type": "QUICK_REPLY", "text": "Help"}]}]}
    assert template(meta, "order_update").provider_ids == {}  # sent by name only once approved
    [entry] = audit(meta, "template.submit")
    assert entry.target == "template order_update / meta-t" and entry.after["statuses"]["meta-t"]["status"] == "PENDING"


def test_a_template_without_variables_is_submitted_without_examples(meta) -> None:
    meta.core.call(Template.create(name="plain", language="en", body="We are open."))
    assert http(meta, "POST", "/admin/templates/plain/submit", json={"account": "meta-t"}).status_code == 200
    assert meta.graph.requests[-1]["json"]["components"] == [{"type": "BODY", "text": "We are open."}]


def test_submit_needs_an_example_per_variable_and_a_meta_account_with_its_waba_id(meta) -> None:
    meta.core.call(Template.create(name="order_update", body="Hi {{1}}, order {{2}}"))
    path = "/admin/templates/order_update/submit"
    assert "example for each" in error_of(http(meta, "POST", path, json={"account": "meta-t"}), 422, "invalid")
    assert "example for each" in error_of(http(meta, "POST", path, json={"account": "meta-t",
                                                                       "examples": ["only one"]}), 422)
    assert "Meta accounts only" in error_of(http(meta, "POST", path, json={"account": "tw-t",
                                                                         "examples": ["a", "b"]}), 422)
    meta.core.call(Account.filter(key="meta-t").update(credentials={"access_token": "tk"}))
    assert "waba_id" in error_of(http(meta, "POST", path, json={"account": "meta-t", "examples": ["a", "b"]}), 422)
    assert error_of(http(meta, "POST", path, json={"account": "nope"}), 404) == "There is no account 'nope'."
    assert meta.graph.requests == []


# --- the Graph API's refusals and failures -----------------------------------------------------------

@pytest.mark.parametrize("answer", [
    Answer(401, {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}),
    Answer(400, {"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                           "type": "OAuthException", "code": 190}}),
])
def test_a_token_meta_refuses_is_named_as_such(meta, answer: Answer) -> None:
    meta.graph.script = [answer]
    message = error_of(http(meta, "POST", "/admin/accounts/meta-t/templates/sync"), 502, "provider_auth")
    assert message.startswith("Meta refused the access token of the account 'meta-t'")
    assert len(meta.graph.requests) == 1  # not retried


def test_metas_own_words_explain_a_refused_submission(meta) -> None:
    meta.core.call(Template.create(name="plain", body="Hello"))
    meta.graph.script = [Answer(400, {"error": {
        "message": "Invalid parameter", "type": "OAuthException", "code": 100, "error_subcode": 2388023,
        "error_user_title": "Message template already exists",
        "error_user_msg": "There is already English (US) content for this template."}})]
    message = error_of(http(meta, "POST", "/admin/templates/plain/submit", json={"account": "meta-t"}), 502,
                       "provider_error")
    assert message == ("Meta refused the request: Message template already exists There is already English (US) "
                       "content for this template. (code 100, HTTP 400).")
    assert template(meta, "plain").statuses == {}


def test_a_busy_meta_is_retried_once(meta) -> None:
    meta.graph.templates = [meta_template("hello", "Hello")]
    meta.graph.script = [Answer(503, {"error": {"message": "Service temporarily unavailable", "code": 2}})]
    assert http(meta, "POST", "/admin/accounts/meta-t/templates/sync").json()["created"] == ["hello"]
    meta.graph.script = [Answer(500, {"error": {"message": "boom", "code": 1}})] * 2
    message = error_of(http(meta, "POST", "/admin/accounts/meta-t/templates/sync"), 502, "provider_error")
    assert message == "Meta refused the request: boom (code 1, HTTP 500)."


def test_a_meta_that_does_not_answer_in_time_is_reported(meta) -> None:
    meta.graph.script = [Answer(200, {"data": []}, delay=1.0), Answer(200, {"data": []}, delay=1.0)]
    assert error_of(http(meta, "POST", "/admin/accounts/meta-t/templates/sync"), 502) == "Meta did not answer in time."


def test_an_answer_without_a_data_list_is_an_error_not_an_empty_sync(meta) -> None:
    meta.core.call(Template.create(name="kept", body="x", statuses={"meta-t": {"status": "APPROVED"}}))
    meta.graph.script = [Answer(200, {"unexpected": True})]
    assert "no 'data' list" in error_of(http(meta, "POST", "/admin/accounts/meta-t/templates/sync"), 502)
    assert template(meta, "kept").statuses == {"meta-t": {"status": "APPROVED"}}


def test_only_meta_accounts_are_synced(meta) -> None:
    assert "Meta accounts only" in error_of(http(meta, "POST", "/admin/accounts/tw-t/templates/sync"), 422)
    assert error_of(http(meta, "POST", "/admin/accounts/nope/templates/sync"), 404, "not_found")


# --- Twilio Content SIDs -----------------------------------------------------------------------------

def test_a_twilio_content_sid_is_checked_stored_and_removed(meta) -> None:
    meta.core.call(Template.create(name="shipping", body="Ciao {{1}}"))
    path = "/admin/templates/shipping/content-sid"
    sid = "HX" + "0123456789abcdef" * 2
    for bad in ("HX123", "MG" + "0" * 32, "HX" + "g" * 32, sid + "0"):
        assert "HX followed by 32 hexadecimal" in error_of(http(meta, "PUT", path, json={
            "account": "tw-t", "sid": bad}), 422)
    assert error_of(http(meta, "PUT", path, json={"account": "tw-t", "sid": 42}), 422) == "sid must be a text."
    assert "Twilio accounts" in error_of(http(meta, "PUT", path, json={"account": "meta-t", "sid": sid}), 422)
    answer = http(meta, "PUT", path, json={"account": "tw-t", "sid": sid})
    assert answer.status_code == 200 and answer.json()["provider_ids"] == {"tw-t": sid}
    assert template(meta, "shipping").provider_ids == {"tw-t": sid}
    assert http(meta, "PUT", path, json={"account": "tw-t", "sid": None}).json()["provider_ids"] == {}
    assert [e.after["provider_ids"] for e in audit(meta, "template.content_sid")] == [{"tw-t": sid}, {}]


# --- administration: changes are audited; who may do it ---------------------------------------------

def test_create_update_and_delete_are_audited(meta) -> None:
    made = meta.core.call(meta.service.create(meta.admin, {"name": "promo", "body": "Hi {{1}}",
                                                           "category": "marketing"}))
    assert (made["language"], made["category"], made["variables"], made["available_for_agents"]) == (
        "en", "marketing", 1, True)
    changed = meta.core.call(meta.service.update(meta.admin, "promo", {"footer": "Bye", "available_for_agents": False}))
    assert changed["footer"] == "Bye" and changed["available_for_agents"] is False and changed["body"] == "Hi {{1}}"
    meta.core.call(meta.service.delete(meta.admin, made["id"]))
    assert meta.core.call(Template.filter(name="promo").exists()) is False
    [create], [update], [delete] = (audit(meta, a) for a in ("template.create", "template.update", "template.delete"))
    assert create.before is None and create.after["name"] == "promo" and create.username == "boss"
    assert update.before["footer"] == "" and update.after["footer"] == "Bye"
    assert delete.before["name"] == "promo" and delete.after is None


def test_a_new_name_or_language_drops_what_meta_said_of_the_old_one(meta) -> None:
    meta.core.call(Template.create(name="order", body="x", statuses={"meta-t": {"status": "APPROVED"}},
                                   provider_ids={"meta-t": "order", "tw-t": "HX" + "b" * 32}))
    meta.core.call(meta.service.update(meta.admin, "order", {"body": "y"}))
    assert template(meta, "order").statuses == {"meta-t": {"status": "APPROVED"}}
    renamed = meta.core.call(meta.service.update(meta.admin, "order", {"name": "order_v2"}))
    assert renamed["statuses"] == {} and renamed["provider_ids"] == {"tw-t": "HX" + "b" * 32}


def test_a_recontact_template_is_neither_deleted_nor_renamed(meta) -> None:
    meta.core.call(Template.create(name="recontact", body="Hello again"))
    meta.core.call(Account.filter(key="meta-t").update(recontact_template="recontact"))
    with pytest.raises(Conflict, match="recontact template of meta-t"):
        meta.core.call(meta.service.delete(meta.admin, "recontact"))
    with pytest.raises(Conflict, match="keeps its name"):
        meta.core.call(meta.service.update(meta.admin, "recontact", {"name": "other"}))
    assert meta.core.call(meta.service.template(meta.admin, "recontact"))["recontact_for"] == ["meta-t"]
    assert audit(meta, "template.delete") == []


def test_duplicates_and_bad_edits_are_refused_clearly(meta) -> None:
    meta.core.call(meta.service.create(meta.admin, {"name": "one", "body": "1"}))
    with pytest.raises(Conflict, match="already"):
        meta.core.call(meta.service.create(meta.admin, {"name": "one", "body": "again"}))
    meta.core.call(meta.service.create(meta.admin, {"name": "two", "body": "2"}))
    with pytest.raises(Conflict, match="already"):
        meta.core.call(meta.service.update(meta.admin, "two", {"name": "one"}))
    with pytest.raises(Invalid, match="Unknown field"):
        meta.core.call(meta.service.update(meta.admin, "two", {"colour": "red"}))
    with pytest.raises(Invalid, match="Send one or more"):
        meta.core.call(meta.service.update(meta.admin, "two", {}))
    with pytest.raises(Invalid, match="without gaps"):
        meta.core.call(meta.service.update(meta.admin, "two", {"body": "{{2}}"}))


def test_only_admins_administer_templates(meta) -> None:
    supervisor = meta.core.call(meta.core.services.auth.login("watcher", "pw"))[1]
    meta.core.call(Template.create(name="t", body="x"))
    for who in (supervisor, meta.agent):
        for call in (meta.service.templates(who), meta.service.template(who, "t"),
                     meta.service.create(who, {"name": "u", "body": "y"}), meta.service.update(who, "t", {"body": "z"}),
                     meta.service.delete(who, "t"), meta.service.sync_meta(who, "meta-t"),
                     meta.service.submit_meta(who, "t", "meta-t"), meta.service.set_content_sid(who, "t", "tw-t", None),
                     meta.service.provider_accounts(who)):
            with pytest.raises(Forbidden):
                meta.core.call(call)
    assert meta.graph.requests == [] and meta.core.call(AuditEntry.all().count()) == 0


def test_a_template_a_campaign_uses_is_not_deleted(meta) -> None:
    async def campaign() -> Template:
        used = await Template.create(name="promo", body="Sale!")
        await Campaign.create(name="Spring", account=await Account.get(key="meta-t"),
                              list=await ContactList.create(name="Leads"), template=used)
        return used

    used = meta.core.call(campaign())
    message = error_of(http(meta, "DELETE", f"/admin/templates/{used.id}"), 409, "in_use")
    assert message == "The template 'promo' is in use (by a campaign): it stays."
    assert meta.core.call(Template.filter(id=used.id).exists()) and audit(meta, "template.delete") == []
