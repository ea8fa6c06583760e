"""Every page of the web front end, registered when the app starts (not at import time), so that a test
app built from scratch gets them too."""
from __future__ import annotations

from nicegui import app, ui

from server.ui.admin_accounts_page import accounts_page
from server.ui.admin_catalog_page import catalog_page
from server.ui.admin_lists_page import lists_page
from server.ui.admin_queues_page import queues_page
from server.ui.admin_settings_page import settings_page
from server.ui.admin_users_page import users_page
from server.ui.audit_page import audit_page
from server.ui.board_page import board_page
from server.ui.campaigns_page import campaigns_page
from server.ui.contacts_page import contact_page, contacts_page, my_contacts_page
from server.ui.desk import desk_page
from server.ui.files import conversation_file, transcript
from server.ui.interactions_page import interactions_page
from server.ui.login import login_page, logout
from server.ui.monitor_page import monitor_page
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
    ui.page("/supervisor", title="Queue board · WhatsApp desk")(board_page)
    ui.page("/supervisor/interactions/{interaction_id}", title="Watching · WhatsApp desk")(monitor_page)
    ui.page("/admin/campaigns", title="Campaigns · WhatsApp desk")(campaigns_page)
    ui.page("/admin/templates", title="Templates · WhatsApp desk")(templates_page)
    ui.page("/admin/users", title="Users · WhatsApp desk")(users_page)
    ui.page("/admin/settings", title="Settings · WhatsApp desk")(settings_page)
    ui.page("/admin/queues", title="Queues · WhatsApp desk")(queues_page)
    ui.page("/admin/accounts", title="Accounts · WhatsApp desk")(accounts_page)
    ui.page("/admin/lists", title="Lists · WhatsApp desk")(lists_page)
    ui.page("/admin/catalog", title="Tags & answers · WhatsApp desk")(catalog_page)
    ui.page("/admin/audit", title="Audit trail · WhatsApp desk")(audit_page)
