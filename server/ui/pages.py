"""Every page of the web front end, registered when the app starts (not at import time), so that a test
app built from scratch gets them too."""
from __future__ import annotations

from nicegui import app, ui

from server.ui.campaigns_page import campaigns_page
from server.ui.contacts_page import contact_page, contacts_page, my_contacts_page
from server.ui.desk import desk_page
from server.ui.files import conversation_file, transcript
from server.ui.interactions_page import interactions_page
from server.ui.login import login_page, logout
from server.ui.simulator import simulator_page
from server.ui.templates_page import templates_page


def register_pages() -> None:
    ui.page("/login", title="Sign in · WhatsApp desk")(login_page)
    ui.page("/logout")(logout)
    ui.page("/", title="WhatsApp desk")(desk_page)
    app.get("/desk/files/{interaction_id}/{message_id}")(conversation_file)
    app.get("/desk/transcripts/{interaction_id}.pdf")(transcript)
    ui.page("/interactions", title="Interactions · WhatsApp desk")(interactions_page)
    ui.page("/contacts", title="Contacts · WhatsApp desk")(contacts_page)
    ui.page("/contacts/{contact_id}", title="Contacts · WhatsApp desk")(contact_page)
    ui.page("/my-contacts", title="My Contacts · WhatsApp desk")(my_contacts_page)
    ui.page("/simulator", title="Customer simulator · WhatsApp desk")(simulator_page)
    ui.page("/admin/campaigns", title="Campaigns · WhatsApp desk")(campaigns_page)
    ui.page("/admin/templates", title="Templates · WhatsApp desk")(templates_page)
