"""The Contacts and My Contacts pages through NiceGUI's simulated user (SPEC C1-C7): the list, its
search, filters, paging and tag colors, the Add dialog and who gets it, a contact's own tab (save, what a
stale tab saves, merge, duplicate, delete, journey), custom fields, and what a masked agent is shown."""
from __future__ import annotations

from typing import Any

import pytest
from nicegui import ui
from nicegui.testing.user_interaction import UserInteraction

from server.domain.phone import readable_phone
from server.domain.tags import GREY
from server.errors import NotFound
from server.persistence.models import ContactList, CustomField, ListPermission, User
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually, everything_shown, new_phone


def rows(user) -> list[dict[str, Any]]:
    return element(user, "contacts-table").rows


def row_names(user) -> list[str]:
    return sorted(row["name"] for row in rows(user))


async def contacts(browsers: Browsers, username: str, path: str = "/contacts"):
    user = await browsers.signed_in(username, await browsers.new())
    await user.open(path)
    await user.should_see(marker="contacts-table", retries=WAIT_RETRIES)
    return user


async def make(browsers: Browsers, username: str, **body: Any) -> dict[str, Any]:
    principal = await browsers.principal(username)
    return await browsers.services.contacts.create(principal, {"list": "Customers", **body})


async def tab_of(user, contact_id: int) -> None:
    """Open the contact from its row, as a click on it does."""
    user.find(marker="contacts-table").trigger("rowClick", [{}, {"id": contact_id}, 0])
    await user.should_see(marker=f"contact-{contact_id}-first_name", retries=WAIT_RETRIES)


async def dialog_closes(user, marker: str) -> None:
    """The dialog holding `marker` closes; then the browser reports it hidden, which removes it."""
    [dialog] = [e for e in element(user, marker).ancestors() if isinstance(e, ui.dialog)]
    await eventually(lambda: not dialog.value)
    UserInteraction(user, {dialog}, None).trigger("hide")
    await user.should_not_see(marker=marker)


async def test_signed_out_is_sent_to_sign_in(browsers: Browsers) -> None:
    user = await browsers.new()
    await user.open("/my-contacts")
    await user.should_see("Sign in")


async def test_the_list_searches_filters_by_tag_and_pages(browsers: Browsers) -> None:
    giulia_phone = new_phone()
    for number in range(25):
        await make(browsers, "supervisor", first_name="Person", last_name=f"{number:02d}", phones=[new_phone()])
    await make(browsers, "supervisor", first_name="Giulia", last_name="Verdi", email="giulia@example.com",
               phones=[giulia_phone], tags=["VIP"], company="Verdi Srl")
    await make(browsers, "supervisor", first_name="Many", last_name="Tags", phones=[new_phone()],
               tags=["VIP", "Complaint", "Sales", "Support"])
    user = await contacts(browsers, "supervisor")
    await eventually(lambda: element(user, "contacts-count").text == "1–25 of 27")
    user.find(marker="contacts-next").click()
    await eventually(lambda: element(user, "contacts-count").text == "26–27 of 27")
    assert row_names(user) == ["Person 00", "Person 01"]  # newest first
    user.find(marker="contacts-previous").click()
    await eventually(lambda: element(user, "contacts-count").text == "1–25 of 27")

    spaced = f"{giulia_phone[:3]} {giulia_phone[3:6]} {giulia_phone[6:]}"  # the number as a person types it
    user.find(marker="contacts-search").type(spaced).trigger("keydown.enter")
    await eventually(lambda: row_names(user) == ["Giulia Verdi"])
    [giulia] = rows(user)
    assert giulia["phones"] == readable_phone(giulia_phone) and giulia["email"] == "giulia@example.com"
    assert giulia["tags"] == [{"name": "VIP", "color": "#d32f2f"}]
    element(user, "contacts-search").set_value("")

    element(user, "contacts-tags").set_value(["VIP"])
    await eventually(lambda: row_names(user) == ["Giulia Verdi", "Many Tags"])
    element(user, "contacts-tags").set_value(["VIP", "Sales"])
    await eventually(lambda: row_names(user) == ["Many Tags"])
    element(user, "contacts-tags").set_value([])

    element(user, "contacts-company").set_value("verdi")
    user.find(marker="contacts-go").click()
    await eventually(lambda: row_names(user) == ["Giulia Verdi"])
    element(user, "contacts-last_name").set_value("rossi")  # advanced search: every field given must match
    user.find(marker="contacts-go").click()
    await eventually(lambda: rows(user) == [] and element(user, "contacts-count").text == "0–0 of 0")


async def test_add_is_offered_only_to_who_may_add_to_a_list(browsers: Browsers) -> None:
    await ListPermission.filter(user__username="agent2").update(can_add=False)
    agent2 = await contacts(browsers, "agent2")
    await agent2.should_not_see(marker="contacts-add")
    agent1 = await contacts(browsers, "agent1")
    await agent1.should_see(marker="contacts-add")


async def test_a_contact_is_added_through_the_dialog_and_a_bad_phone_is_refused(browsers: Browsers) -> None:
    user = await contacts(browsers, "agent1")
    user.find(marker="contacts-add").click()
    await user.should_see(marker="new-contact-save", retries=WAIT_RETRIES)
    element(user, "new-contact-first_name").set_value("Marta")
    element(user, "new-contact-last_name").set_value("Bianchi")
    element(user, "new-contact-phones").set_value("12ab")
    element(user, "new-contact-tags").set_value(["Support"])
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains("'12ab' is not a phone number."))
    assert element(user, "new-contact-first_name").value == "Marta"  # the dialog stays, with what was typed

    phone = new_phone()
    element(user, "new-contact-phones").set_value(f"{phone[:6]} {phone[6:]}, {new_phone()}")
    element(user, "new-contact-email").set_value("marta@example")
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains("'marta@example' is not a valid email address."))
    element(user, "new-contact-email").set_value("marta@example.com")
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains("Marta Bianchi added to Customers."))
    await dialog_closes(user, "new-contact-save")
    await eventually(lambda: row_names(user) == ["Marta Bianchi"])
    [marta] = rows(user)
    assert marta["phones"].startswith(readable_phone(phone) + ", ") and marta["tags"][0]["name"] == "Support"

    user.find(marker="contacts-add").click()
    await user.should_see(marker="new-contact-save", retries=WAIT_RETRIES)
    element(user, "new-contact-phones").set_value(phone)
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains(f"{phone} is already the number of contact {marta['id']} in "
                                                  "this list."))


async def test_a_contact_is_edited_and_saved_in_its_own_tab(browsers: Browsers) -> None:
    saved = await make(browsers, "supervisor", first_name="Paolo", last_name="Neri", phones=[new_phone()])
    user = await contacts(browsers, "agent1")
    await tab_of(user, saved["id"])
    assert element(user, f"tab-contact-{saved['id']}").props["label"] == "Paolo Neri"
    element(user, f"contact-{saved['id']}-first_name").set_value("Paola")
    element(user, f"contact-{saved['id']}-company").set_value("Neri & Figli")
    element(user, f"contact-{saved['id']}-tags").set_value(["Sales", "VIP"])
    user.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: user.notify.contains("Contact saved."))
    now = await browsers.services.contacts.get(await browsers.principal("agent1"), saved["id"])
    assert (now["first_name"], now["company"], now["tags"]) == ("Paola", "Neri & Figli", ["Sales", "VIP"])
    assert now["phones"] == saved["phones"]
    await eventually(lambda: element(user, f"tab-contact-{saved['id']}").props["label"] == "Paola Neri")
    await eventually(lambda: row_names(user) == ["Paola Neri"])

    user.find(marker=f"close-contact-{saved['id']}").trigger("click.stop")
    await user.should_not_see(marker=f"tab-contact-{saved['id']}")
    assert element(user, "tab-list").tabs.value == "list"


async def test_a_contact_with_more_than_three_tags_shows_them_all_grey(browsers: Browsers) -> None:
    await make(browsers, "supervisor", first_name="Four", last_name="Tags", phones=[new_phone()],
               tags=["VIP", "Complaint", "Sales", "Support"])
    await make(browsers, "supervisor", first_name="Three", last_name="Tags", phones=[new_phone()],
               tags=["VIP", "Complaint", "Sales"])
    user = await contacts(browsers, "agent1")
    await eventually(lambda: row_names(user) == ["Four Tags", "Three Tags"])
    chips = {row["name"]: {tag["name"]: tag["color"] for tag in row["tags"]} for row in rows(user)}
    assert chips["Four Tags"] == dict.fromkeys(["VIP", "Complaint", "Sales", "Support"], GREY)
    catalog = {tag["name"]: tag["color"] for tag in await browsers.services.catalog.tags()}
    assert chips["Three Tags"] == {name: catalog[name] for name in ("VIP", "Complaint", "Sales")}
    assert GREY not in chips["Three Tags"].values()


async def test_a_stale_tab_saves_only_what_its_user_changed(browsers: Browsers) -> None:
    saved = await make(browsers, "supervisor", first_name="Bruno", last_name="Conti", phones=[new_phone()],
                       email="bruno@example.com", company="Conti Srl", tags=["VIP"])
    first, second = await contacts(browsers, "agent1"), await contacts(browsers, "agent2")
    await tab_of(first, saved["id"])
    await tab_of(second, saved["id"])
    element(first, f"contact-{saved['id']}-company").set_value("Conti & Figli")
    first.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: first.notify.contains("Contact saved."))

    element(second, f"contact-{saved['id']}-email").set_value("b.conti@example.com")  # still shows Conti Srl
    second.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: second.notify.contains("Contact saved."))
    now = await browsers.services.contacts.get(await browsers.principal("supervisor"), saved["id"])
    assert (now["company"], now["email"]) == ("Conti & Figli", "b.conti@example.com")
    assert (now["first_name"], now["phones"], now["tags"]) == ("Bruno", saved["phones"], ["VIP"])
    await eventually(lambda: element(second, f"contact-{saved['id']}-company").value == "Conti & Figli")


async def test_a_stale_tab_saves_only_the_custom_fields_its_user_changed(browsers: Browsers) -> None:
    customers = await ContactList.get(name="Customers")
    await CustomField.create(list=customers, name="tier", label="Tier", kind="choice", choices=["gold", "silver"])
    await CustomField.create(list=customers, name="orders", label="Orders", kind="number")
    saved = await make(browsers, "supervisor", first_name="Dario", phones=[new_phone()],
                       fields={"tier": "silver", "orders": 3})
    first, second = await contacts(browsers, "agent1"), await contacts(browsers, "agent2")
    await tab_of(first, saved["id"])
    await tab_of(second, saved["id"])
    element(first, f"contact-{saved['id']}-field-tier").set_value("gold")
    first.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: first.notify.contains("Contact saved."))

    element(second, f"contact-{saved['id']}-field-orders").set_value("4")  # still shows silver
    second.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: second.notify.contains("Contact saved."))
    now = await browsers.services.contacts.get(await browsers.principal("supervisor"), saved["id"])
    assert now["fields"] == {"tier": "gold", "orders": 4}


async def test_saving_without_a_change_says_so_and_changes_nothing(browsers: Browsers) -> None:
    customers = await ContactList.get(name="Customers")
    await CustomField.create(list=customers, name="tier", label="Tier", kind="choice", choices=["gold", "silver"])
    await CustomField.create(list=customers, name="since", label="Customer since", kind="date")
    await CustomField.create(list=customers, name="orders", label="Orders", kind="number")
    saved = await make(browsers, "supervisor", first_name="Elsa", last_name="Riva", phones=[new_phone(), new_phone()],
                       email="elsa@example.com", company="Riva", notes="Calls after 5", tags=["Sales", "VIP"],
                       fields={"tier": "gold", "since": "2024-05-01", "orders": 7})
    user = await contacts(browsers, "agent1")
    await tab_of(user, saved["id"])
    user.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: user.notify.contains("Nothing to save."))
    principal = await browsers.principal("agent1")
    assert (await browsers.services.contacts.get(principal, saved["id"]))["updated_at"] == saved["updated_at"]
    assert not user.notify.contains("Contact saved.")

    element(user, f"contact-{saved['id']}-company").set_value("Riva Srl")
    user.find(marker=f"contact-{saved['id']}-save").click()
    await eventually(lambda: user.notify.contains("Contact saved."))
    after = await browsers.services.contacts.get(principal, saved["id"])
    user.find(marker=f"contact-{saved['id']}-save").click()  # the saved contact is the form's new starting point
    await eventually(lambda: user.notify.messages.count("Nothing to save.") == 2)
    assert (await browsers.services.contacts.get(principal, saved["id"]))["updated_at"] == after["updated_at"]


async def test_without_the_edit_right_a_contact_is_shown_read_only(browsers: Browsers) -> None:
    await ListPermission.filter(user__username="agent3").update(can_edit=False)
    saved = await make(browsers, "supervisor", first_name="Rita", last_name="Galli", phones=[new_phone()])
    user = await contacts(browsers, "agent3")
    await tab_of(user, saved["id"])
    for field in ("first_name", "email", "phones", "tags", "notes"):
        assert "readonly" in element(user, f"contact-{saved['id']}-{field}").props
    for action in ("save", "merge", "delete"):
        await user.should_not_see(marker=f"contact-{saved['id']}-{action}")


async def test_a_contact_opened_by_its_link_is_deleted_once_confirmed(browsers: Browsers) -> None:
    saved = await make(browsers, "agent1", first_name="Paola", last_name="Neri", phones=[new_phone()])
    user = await contacts(browsers, "agent1", f"/contacts/{saved['id']}")
    await user.should_see(marker=f"contact-{saved['id']}-save", retries=WAIT_RETRIES)
    assert element(user, "tab-list").tabs.value == f"contact-{saved['id']}"
    user.find(marker=f"contact-{saved['id']}-delete").click()
    await user.should_see(marker="delete-confirm", retries=WAIT_RETRIES)
    user.find(marker="delete-confirm").click()
    await eventually(lambda: user.notify.contains("Paola Neri deleted."))
    await user.should_not_see(marker=f"tab-contact-{saved['id']}")
    await eventually(lambda: rows(user) == [])
    with pytest.raises(NotFound):
        await browsers.services.contacts.get(await browsers.principal("agent1"), saved["id"])


async def test_the_customer_journey_lists_the_contacts_interactions(browsers: Browsers) -> None:
    phone = new_phone()
    interaction_id = (await browsers.services.inbound.receive(
        await browsers.services.inbound.account("sandbox", "sandbox"), "m-journey", phone, "hello",
        name="Carla Gialli")).interaction_id
    supervisor = await browsers.principal("supervisor")
    [contact], _ = await browsers.services.contacts.find(supervisor, q=phone)  # made by the account's trigger
    user = await contacts(browsers, "supervisor")
    await tab_of(user, contact["id"])
    user.find(marker=f"contact-{contact['id']}-journey-tab").click()
    await eventually(lambda: element(user, f"contact-{contact['id']}-journey").rows)
    [visit] = element(user, f"contact-{contact['id']}-journey").rows
    assert (visit["id"], visit["queue"], visit["status"]) == (interaction_id, "WhatsAppConn1", "open")
    assert visit["readable"]  # a supervisor may open every interaction


async def test_merge_moves_the_other_contacts_phones_and_tags(browsers: Browsers) -> None:
    survivor = await make(browsers, "agent1", first_name="Luca", last_name="Moretti", phones=[new_phone()],
                          tags=["VIP"])
    other = await make(browsers, "agent1", first_name="Luca", last_name="Moretti-Old", phones=[new_phone()],
                       tags=["Sales"], email="luca@example.com")
    user = await contacts(browsers, "agent1")
    await tab_of(user, other["id"])
    await tab_of(user, survivor["id"])
    user.find(marker=f"contact-{survivor['id']}-merge").click()
    await user.should_see(marker="merge-search", retries=WAIT_RETRIES)
    user.find(marker="merge-search").type("luca@example.com").trigger("keydown.enter")
    await eventually(lambda: list(element(user, "merge-results").options) == [other["id"]])
    element(user, "merge-search").set_value("moretti")
    user.find(marker="merge-go").click()
    await eventually(lambda: list(element(user, "merge-results").options) == [other["id"]])  # never itself
    element(user, "merge-results").set_value(other["id"])
    assert element(user, "merge-confirm").text == "Merge Luca Moretti-Old into Luca Moretti"
    user.find(marker="merge-confirm").click()
    await eventually(lambda: user.notify.contains("Luca Moretti-Old merged into Luca Moretti."))
    merged = await browsers.services.contacts.get(await browsers.principal("agent1"), survivor["id"])
    assert set(merged["phones"]) == {*survivor["phones"], *other["phones"]}
    assert merged["tags"] == ["Sales", "VIP"] and merged["email"] == "luca@example.com"
    with pytest.raises(NotFound):
        await browsers.services.contacts.get(await browsers.principal("agent1"), other["id"])
    await user.should_not_see(marker=f"tab-contact-{other['id']}")
    await eventually(lambda: element(user, f"contact-{survivor['id']}-email").value == "luca@example.com")
    await eventually(lambda: row_names(user) == ["Luca Moretti"])


async def test_duplicate_copies_the_contact_into_another_list_and_opens_it(browsers: Browsers) -> None:
    partners = await ContactList.create(name="Partners")
    agent = await User.get(username="agent1")
    await ListPermission.create(list=partners, user=agent, can_view=True, can_add=True, can_edit=True)
    original = await make(browsers, "agent1", first_name="Sara", last_name="Fontana", phones=[new_phone()],
                          tags=["Support"])
    user = await contacts(browsers, "agent1")
    await tab_of(user, original["id"])
    user.find(marker=f"contact-{original['id']}-duplicate").click()
    await user.should_see(marker="duplicate-confirm", retries=WAIT_RETRIES)
    assert element(user, "duplicate-list").options == ["Partners"]  # not the list it is in
    user.find(marker="duplicate-confirm").click()
    await eventually(lambda: user.notify.contains("Sara Fontana copied to Partners."))
    copies, _ = await browsers.services.contacts.find(await browsers.principal("agent1"), list_name="Partners")
    [copy] = copies
    assert (copy["phones"], copy["tags"]) == (original["phones"], ["Support"])
    await eventually(lambda: element(user, "tab-list").tabs.value == f"contact-{copy['id']}")
    await eventually(lambda: sorted(row["list"] for row in rows(user)) == ["Customers", "Partners"])


async def test_my_contacts_are_those_the_user_created_or_edited(browsers: Browsers) -> None:
    await make(browsers, "agent1", first_name="Mine", last_name="Created", phones=[new_phone()])
    await make(browsers, "agent2", first_name="Theirs", last_name="Only", phones=[new_phone()])
    edited = await make(browsers, "supervisor", first_name="Edited", last_name="ByMe", phones=[new_phone()])
    await browsers.services.contacts.update(await browsers.principal("agent1"), edited["id"], {"company": "Acme"})
    user = await contacts(browsers, "agent1", "/my-contacts")
    await eventually(lambda: row_names(user) == ["Edited ByMe", "Mine Created"])
    await user.should_see(marker="to-contacts")
    await user.open("/contacts")
    await user.should_see(marker="to-my-contacts", retries=WAIT_RETRIES)
    await eventually(lambda: row_names(user) == ["Edited ByMe", "Mine Created", "Theirs Only"])


async def test_a_masked_agent_is_shown_no_unmasked_value_and_cannot_edit_masked_fields(browsers: Browsers) -> None:
    await browsers.services.settings.update({"masking": {"phone": "partial", "email": "full", "name": "partial"}})
    phone = "+393331112233"
    secret = await make(browsers, "supervisor", first_name="Valentina", last_name="Esposito",
                        email="valentina.esposito@example.com", phones=[phone], company="Acme Trasporti",
                        tags=["VIP"])
    await make(browsers, "supervisor", first_name="Valentina", last_name="Esposito-Twin", phones=[new_phone()],
               company="Acme Trasporti")
    user = await contacts(browsers, "agent1")
    await eventually(lambda: len(rows(user)) == 2)
    await tab_of(user, secret["id"])
    user.find(marker=f"contact-{secret['id']}-journey-tab").click()
    user.find(marker=f"contact-{secret['id']}-detail").click()
    user.find(marker=f"contact-{secret['id']}-merge").click()
    await user.should_see(marker="merge-search", retries=WAIT_RETRIES)
    user.find(marker="merge-search").type("acme").trigger("keydown.enter")
    await eventually(lambda: element(user, "merge-results").options)
    shown = everything_shown(user)
    assert "Acme Trasporti" in shown and "+393•••33" in shown and "V•••" in shown
    for unmasked in ("Valentina", "Esposito", "valentina.esposito", "example.com", phone, phone[1:], "3331112233"):
        assert unmasked not in shown, unmasked

    for field in ("first_name", "last_name", "email", "phones"):
        assert "readonly" in element(user, f"contact-{secret['id']}-{field}").props
    assert "readonly" not in element(user, f"contact-{secret['id']}-company").props
    element(user, f"contact-{secret['id']}-company").set_value("Acme Logistica")
    user.find(marker=f"contact-{secret['id']}-save").click()
    await eventually(lambda: user.notify.contains("Contact saved."))
    whole = await browsers.services.contacts.get(await browsers.principal("supervisor"), secret["id"])
    assert (whole["first_name"], whole["email"], whole["phones"], whole["company"]) == (
        "Valentina", "valentina.esposito@example.com", [phone], "Acme Logistica")


async def test_custom_fields_are_rendered_by_kind_validated_and_searched(browsers: Browsers) -> None:
    customers = await ContactList.get(name="Customers")
    await CustomField.create(list=customers, name="tier", label="Tier", kind="choice", choices=["gold", "silver"])
    await CustomField.create(list=customers, name="since", label="Customer since", kind="date")
    await CustomField.create(list=customers, name="orders", label="Orders", kind="number")
    user = await contacts(browsers, "agent1")
    user.find(marker="contacts-add").click()
    await user.should_see(marker="new-contact-save", retries=WAIT_RETRIES)
    tier = element(user, "new-contact-field-tier")
    assert isinstance(tier, ui.select) and list(tier.options) == ["", "gold", "silver"]
    assert element(user, "new-contact-field-since").props["type"] == "date"
    assert element(user, "new-contact-field-orders").props["type"] == "number"
    element(user, "new-contact-first_name").set_value("Irene")
    tier.set_value("gold")
    element(user, "new-contact-field-since").set_value("2026-02-30")
    element(user, "new-contact-field-orders").set_value("12")
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains("Customer since takes a date as YYYY-MM-DD."))
    element(user, "new-contact-field-since").set_value("2026-02-28")
    user.find(marker="new-contact-save").click()
    await eventually(lambda: user.notify.contains("Irene added to Customers."))
    await eventually(lambda: row_names(user) == ["Irene"])
    [irene] = rows(user)
    saved = await browsers.services.contacts.get(await browsers.principal("agent1"), irene["id"])
    assert saved["fields"] == {"tier": "gold", "since": "2026-02-28", "orders": 12}

    await tab_of(user, irene["id"])
    assert element(user, f"contact-{irene['id']}-field-tier").value == "gold"
    element(user, f"contact-{irene['id']}-field-orders").set_value("many")
    user.find(marker=f"contact-{irene['id']}-save").click()
    await eventually(lambda: user.notify.contains("Orders takes a number."))

    user.find(marker="tab-list").click()
    element(user, "contacts-list").set_value("Customers")
    await user.should_see(marker="contacts-field-tier", retries=WAIT_RETRIES)
    element(user, "contacts-field-tier").set_value("silver")
    user.find(marker="contacts-go").click()
    await eventually(lambda: rows(user) == [])
    element(user, "contacts-field-tier").set_value("gold")
    user.find(marker="contacts-go").click()
    await eventually(lambda: row_names(user) == ["Irene"])
