"""The schema. Change it here, then run `tortoise makemigrations` (README: Schema changes)."""
from __future__ import annotations

import builtins
from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.persistence.append_only import AppendOnly, AppendOnlyManager


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16, default="agent")  # admin | supervisor | agent
    full_name = fields.CharField(max_length=128, default="")
    capacity = fields.IntField(null=True)  # max open interactions; None: the queues' setting
    state = fields.CharField(max_length=16, default="offline")
    state_reason = fields.CharField(max_length=100, null=True)
    # When a desk page of theirs first connected: presence watches such an agent across restarts (SPEC P1)
    desk_seen_at = fields.DatetimeField(null=True)
    disabled = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class AuthSession(Model):
    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="sessions",
                                                                    on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Refreshed at most about once a minute while the session is used; null: not used since it was created.
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_sessions"


class Queue(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    strategy = fields.CharField(max_length=16, default="ring_all")
    weight = fields.IntField(default=0)
    offer_timeout = fields.IntField(default=30)  # seconds
    reoffer_delay = fields.IntField(default=60)  # seconds before a rejecter is offered it again
    capacity = fields.IntField(default=5)  # max open interactions per agent from this queue
    target_seconds = fields.IntField(default=60)  # answered-within target (supervisor board)

    class Meta:
        table = "queues"


class QueueMember(Model):
    id = fields.IntField(primary_key=True)
    queue: fields.ForeignKeyRelation[Queue] = fields.ForeignKeyField("models.Queue", related_name="members",
                                                                      on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="memberships",
                                                                    on_delete=fields.CASCADE)

    class Meta:
        table = "queue_members"
        unique_together = (("queue", "user"),)


class QueueSupervisor(Model):
    """A supervisor watching a queue on the live board (SPEC S1); admins watch every queue."""

    id = fields.IntField(primary_key=True)
    queue: fields.ForeignKeyRelation[Queue] = fields.ForeignKeyField("models.Queue", related_name="supervisors",
                                                                      on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="supervised_queues",
                                                                    on_delete=fields.CASCADE)

    class Meta:
        table = "queue_supervisors"
        unique_together = (("queue", "user"),)


class Account(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    provider = fields.CharField(max_length=16)  # sandbox | meta | twilio | kaleyra | sinch
    name = fields.CharField(max_length=128, default="")
    phone_number = fields.CharField(max_length=32, default="")
    queue: fields.ForeignKeyRelation[Queue] = fields.ForeignKeyField("models.Queue", related_name="accounts",
                                                                      on_delete=fields.RESTRICT)
    queue_id: int  # the column behind `queue`, which tortoise adds
    credentials: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    api_base_url = fields.CharField(max_length=255, default="")
    window_hours = fields.IntField(null=True)  # None: the provider's rule
    recontact_template = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "accounts"


class ContactList(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)

    class Meta:
        table = "contact_lists"


class ListPermission(Model):
    id = fields.IntField(primary_key=True)
    list: fields.ForeignKeyRelation[ContactList] = fields.ForeignKeyField(
        "models.ContactList", related_name="permissions", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="list_permissions",
                                                                    on_delete=fields.CASCADE)
    can_view = fields.BooleanField(default=True)
    can_add = fields.BooleanField(default=False)
    can_edit = fields.BooleanField(default=False)

    class Meta:
        table = "list_permissions"
        unique_together = (("list", "user"),)


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    color = fields.CharField(max_length=16, default="#607d8b")

    class Meta:
        table = "tags"


class CustomField(Model):
    """A field that the contacts of one list carry (SPEC C2), validated by its kind."""

    id = fields.IntField(primary_key=True)
    list: fields.ForeignKeyRelation[ContactList] = fields.ForeignKeyField(
        "models.ContactList", related_name="custom_fields", on_delete=fields.CASCADE)
    list_id: int  # the column behind `list`, which tortoise adds
    name = fields.CharField(max_length=64)  # the key in Contact.fields
    label = fields.CharField(max_length=128, default="")
    kind = fields.CharField(max_length=8, default="text")  # text | number | date | choice
    choices: fields.JSONField[builtins.list[str]] = fields.JSONField(default=builtins.list)  # `list`: the field above

    class Meta:
        table = "custom_fields"
        unique_together = (("list", "name"),)


class Contact(Model):
    id = fields.IntField(primary_key=True)
    list: fields.ForeignKeyNullableRelation[ContactList] = fields.ForeignKeyField(
        "models.ContactList", related_name="contacts", null=True, on_delete=fields.SET_NULL)
    first_name = fields.CharField(max_length=128, default="")
    last_name = fields.CharField(max_length=128, default="")
    email = fields.CharField(max_length=255, default="")
    company = fields.CharField(max_length=255, default="")
    notes = fields.TextField(default="")
    field_values: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # values by CustomField.name
    # Lower-cased copies that searches compare with, alike on SQLite and PostgreSQL (SPEC C4).
    search_name = fields.CharField(max_length=257, default="")
    search_email = fields.CharField(max_length=255, default="")
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField("models.Tag", related_name="contacts",
                                                                  through="contact_tags")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_contacts", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contacts"
        indexes = (("list_id", "id"),)


class ContactPhone(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField("models.Contact", related_name="phones",
                                                                          on_delete=fields.CASCADE)
    phone = fields.CharField(max_length=20, db_index=True)  # E.164

    class Meta:
        table = "contact_phones"
        unique_together = (("contact", "phone"),)


class ContactAuthor(Model):
    """Who created or edited a contact: the rows behind My Contacts (SPEC C7)."""

    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField("models.Contact", related_name="authors",
                                                                          on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="contact_edits",
                                                                    on_delete=fields.CASCADE)

    class Meta:
        table = "contact_authors"
        unique_together = (("user", "contact"),)


class AuditEntry(AppendOnly, Model):
    """A configuration change or a sensitive action (SPEC A3): who, when, what, the values before and after.
    Written in the transaction of the change; the product offers no way to edit or delete it, and the ORM
    refuses to (append_only.py)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL)
    username = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=48)
    target = fields.CharField(max_length=128, default="")
    before: fields.JSONField[Any] = fields.JSONField(null=True)
    after: fields.JSONField[Any] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entries"
        indexes = (("action", "id"),)
        manager = AppendOnlyManager()


class Disposition(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "dispositions"


class Interaction(Model):
    """One conversation episode. Ids are allocated by the writer, which serializes every creation."""

    id = fields.IntField(primary_key=True, generated=False)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="interactions", on_delete=fields.RESTRICT)
    queue: fields.ForeignKeyRelation[Queue] = fields.ForeignKeyField(
        "models.Queue", related_name="interactions", on_delete=fields.RESTRICT)
    # E.164; or WhatsApp's digits where phonenumbers refuses them; or a business-scoped user id (up to 131)
    customer_phone = fields.CharField(max_length=160)
    customer_name = fields.CharField(max_length=128, default="")
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="interactions", null=True, on_delete=fields.SET_NULL)
    status = fields.CharField(max_length=8, default="open")
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_interactions", null=True, on_delete=fields.SET_NULL)
    first_agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="first_interactions", null=True, on_delete=fields.SET_NULL)
    disposition: fields.ForeignKeyNullableRelation[Disposition] = fields.ForeignKeyField(
        "models.Disposition", related_name="interactions", null=True, on_delete=fields.SET_NULL)
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField("models.Tag", related_name="interactions",
                                                                  through="interaction_tags")
    read_marker = fields.IntField(default=0)  # id of the last message the owner had read
    returned_unread = fields.BooleanField(default=False)  # a transfer timed out, not read since
    created_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    last_inbound_at = fields.DatetimeField(null=True)

    class Meta:
        table = "interactions"
        # The list's filters walk these newest first (SPEC L2; migration 0004).
        indexes = (("status", "queue_id"), ("account_id", "customer_phone", "status"), ("owner_id", "status"),
                   ("customer_phone",), ("contact_id", "id"), ("created_at",), ("status", "created_at"),
                   ("owner_id", "created_at"),
                   ("first_agent_id", "created_at"), ("account_id", "created_at"))


class Participation(Model):
    """An agent's part in an interaction (SPEC L1: an agent's list holds every conversation they took part in):
    from when they came to own it (accept, take, a transfer they accepted, a conversation they started) until
    it was transferred away or returned to its queue. An owner's part stays open through the close. Written
    by the writer in the transaction of the change it records (persistence/participations.py)."""

    id = fields.IntField(primary_key=True)
    interaction: fields.ForeignKeyRelation[Interaction] = fields.ForeignKeyField(
        "models.Interaction", related_name="participations", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="participations",
                                                                    on_delete=fields.CASCADE)
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)  # None: they own it (or owned it until it closed)
    left_reason = fields.CharField(max_length=16, null=True)  # transferred | returned

    class Meta:
        table = "participations"
        unique_together = (("interaction", "user"),)
        indexes = (("user_id", "interaction_id"),)  # an agent's list (queries.list_interactions)


class Message(Model):
    id = fields.IntField(primary_key=True)
    interaction: fields.ForeignKeyRelation[Interaction] = fields.ForeignKeyField(
        "models.Interaction", related_name="messages", on_delete=fields.CASCADE)
    direction = fields.CharField(max_length=8)  # in | out | note
    kind = fields.CharField(max_length=16, default="text")
    text = fields.TextField(default="")
    status = fields.CharField(max_length=16, default="received")  # received | queued | sent | delivered | read | failed
    sender = fields.CharField(max_length=128, default="")
    external_key = fields.CharField(max_length=200, unique=True, null=True)  # "<account id>:<provider message id>"
    error = fields.CharField(max_length=500, null=True)
    # a template message: name, language, variables, provider_id
    template: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    recipient = fields.CharField(max_length=64, null=True)  # a supervisor's note for this agent only (SPEC S2)
    created_at = fields.DatetimeField()  # when we stored it (received, for an inbound message)
    sent_at = fields.DatetimeField(null=True)  # inbound: when the customer sent it, as the provider says
    payload = fields.TextField(null=True)  # a message the desk cannot show: the provider's item, for admins
    reaction = fields.CharField(max_length=32, null=True)  # the customer's reaction to this message
    # the customer's edits: earlier texts [{"text", "at", "id"}], oldest first
    edits: fields.JSONField[list[dict[str, Any]] | None] = fields.JSONField(null=True)
    revoked_at = fields.DatetimeField(null=True)  # the customer deleted it (it stays, marked)

    class Meta:
        table = "messages"
        indexes = (("interaction_id", "direction", "id"),)


class UnroutedInbound(Model):
    """An item of a provider's delivery that belongs to no conversation of ours (no sender, or a number of no
    account): acknowledged to the provider, kept here for the admin instead of being stored elsewhere."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="unrouted", null=True, on_delete=fields.SET_NULL)  # whose URL it came to
    provider = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=255)
    payload = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "unrouted_inbound"
        indexes = (("account_id", "id"),)


class Attachment(Model):
    """The file of a media message. Inbound: `ref` names it at the provider until it is fetched
    (state pending -> stored | failed). Stored files live under the data dir, named by their sha256."""

    id = fields.IntField(primary_key=True)
    message: fields.OneToOneRelation[Message] = fields.OneToOneField(
        "models.Message", related_name="attachment", on_delete=fields.CASCADE)
    message_id: int  # the column behind `message`, which tortoise adds
    ref = fields.CharField(max_length=1000, default="")
    content_type = fields.CharField(max_length=128, default="")
    filename = fields.CharField(max_length=255, default="")
    size = fields.BigIntField(null=True)
    sha256 = fields.CharField(max_length=64, null=True)
    state = fields.CharField(max_length=8, default="pending")  # pending | stored | failed
    error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "attachments"
        indexes = (("state",),)


class TranscriptDownload(Model):
    """Who downloaded which interaction's transcript, and when (SPEC A3)."""

    id = fields.IntField(primary_key=True)
    interaction: fields.ForeignKeyRelation[Interaction] = fields.ForeignKeyField(
        "models.Interaction", related_name="transcript_downloads", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="transcript_downloads", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transcript_downloads"


class Transfer(Model):
    id = fields.IntField(primary_key=True)
    interaction: fields.ForeignKeyRelation[Interaction] = fields.ForeignKeyField(
        "models.Interaction", related_name="transfers", on_delete=fields.CASCADE)
    generation = fields.IntField(default=1)
    from_agent: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="transfers_out", on_delete=fields.CASCADE)
    to_agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="transfers_in", null=True, on_delete=fields.SET_NULL)
    to_queue: fields.ForeignKeyNullableRelation[Queue] = fields.ForeignKeyField(
        "models.Queue", related_name="transfers_in", null=True, on_delete=fields.SET_NULL)
    targets: fields.JSONField[list[str]] = fields.JSONField(default=list)  # usernames offered the transfer
    status = fields.CharField(max_length=16, default="pending")  # pending | accepted | timed_out | failed | cancelled
    accepted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="transfers_accepted", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    note = fields.CharField(max_length=200, null=True)  # the sender's reason, shown to the targets

    class Meta:
        table = "transfers"
        indexes = (("status",),)


class RoutingEvent(Model):
    """SPEC R12: every offer, reject, timeout, accept, transfer and close, with time and agents."""

    id = fields.IntField(primary_key=True)
    interaction_id = fields.IntField(db_index=True)
    kind = fields.CharField(max_length=24)
    agents: fields.JSONField[list[str]] = fields.JSONField(default=list)
    detail = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "routing_events"


class Template(Model):
    """A WhatsApp message template (SPEC T3).

    The body holds {{1}}.. variables; header and footer are plain text; up to 3 quick-reply buttons.
    `statuses`: each account's approval as its provider last reported it,
    {account key: {"status", "provider_id", "reason"}}."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=512, unique=True)
    language = fields.CharField(max_length=16, default="en")
    category = fields.CharField(max_length=32, default="utility")
    body = fields.TextField()
    header = fields.CharField(max_length=60, default="")
    footer = fields.CharField(max_length=60, default="")
    buttons: fields.JSONField[list[str]] = fields.JSONField(default=list)  # quick-reply button texts
    available_for_agents = fields.BooleanField(default=True)
    # the approved template's id per account key or provider
    provider_ids: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    statuses: fields.JSONField[dict[str, dict[str, Any]]] = fields.JSONField(default=dict)

    class Meta:
        table = "templates"


class CannedAnswer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    body = fields.TextField()

    class Meta:
        table = "canned_answers"


class ContactTrigger(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="triggers", null=True, on_delete=fields.CASCADE)
    queue: fields.ForeignKeyNullableRelation[Queue] = fields.ForeignKeyField(
        "models.Queue", related_name="triggers", null=True, on_delete=fields.CASCADE)
    list: fields.ForeignKeyRelation[ContactList] = fields.ForeignKeyField(
        "models.ContactList", related_name="triggers", on_delete=fields.CASCADE)

    class Meta:
        table = "contact_triggers"


class Setting(Model):
    key = fields.CharField(max_length=64, primary_key=True)
    value: fields.JSONField[Any] = fields.JSONField()

    class Meta:
        table = "settings"


class Campaign(Model):
    """An outbound campaign (SPEC T5): one template sent to a list's contacts (those with all of `tags`,
    when given) from one account, at `rate` messages per second. `variables`: what fills each {{n}},
    in order ("first_name", "field:<custom field>", "text:<fixed text>", ...)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="campaigns", on_delete=fields.RESTRICT)
    list: fields.ForeignKeyRelation[ContactList] = fields.ForeignKeyField(
        "models.ContactList", related_name="campaigns", on_delete=fields.RESTRICT)
    list_id: int  # the column behind `list`, which tortoise adds
    tags: fields.JSONField[builtins.list[str]] = fields.JSONField(default=builtins.list)  # tag names; empty: all
    template: fields.ForeignKeyRelation[Template] = fields.ForeignKeyField(
        "models.Template", related_name="campaigns", on_delete=fields.RESTRICT)
    variables: fields.JSONField[builtins.list[str]] = fields.JSONField(default=builtins.list)
    rate = fields.FloatField(default=1.0)  # messages per second
    state = fields.CharField(max_length=16, default="draft")  # draft | running | paused | cancelled | finished
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="campaigns", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "campaigns"
        indexes = (("state",),)


class CampaignRecipient(Model):
    """One contact of a started campaign: pending until its message is written (queued, with `message`),
    or skipped / cancelled with the reason. Its delivery state is its message's."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="recipients", on_delete=fields.CASCADE)
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="campaign_recipients", null=True, on_delete=fields.SET_NULL)
    name = fields.CharField(max_length=257, default="")
    phone = fields.CharField(max_length=32, default="")
    # the template's values for this contact
    variables: fields.JSONField[list[str]] = fields.JSONField(default=builtins.list)
    state = fields.CharField(max_length=16, default="pending")  # pending | queued | skipped | cancelled
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="campaign_recipients", null=True, on_delete=fields.SET_NULL)
    reason = fields.CharField(max_length=255, default="")

    class Meta:
        table = "campaign_recipients"
        unique_together = (("campaign", "contact"),)
        indexes = (("campaign_id", "state", "id"), ("phone",))


class SendOnce(Model):
    """An outbound message that must never reach the customer twice (a campaign's): `started` is stored
    before the outbox's first attempt, so after a crash it is not sent again blindly."""

    message: fields.OneToOneRelation[Message] = fields.OneToOneField(
        "models.Message", related_name="send_once", primary_key=True, on_delete=fields.CASCADE)
    started = fields.BooleanField(default=False)

    class Meta:
        table = "send_once"
