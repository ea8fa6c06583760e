"""A chat bubble shows what the customer did to a message (edited, deleted, reacted), both of its times, and
the raw item of an unreadable message only when the view carries it (admins); every text is escaped."""
from __future__ import annotations

from datetime import datetime, timezone

from server.domain.masking import Masking
from server.services.views import message_view
from server.ui.bubbles import bubble_html
from server.ui.chat import in_chat_order


def at(second: int) -> datetime:
    return datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc).replace(second=second % 60, minute=second // 60)


def row(**changes) -> dict:
    base = {"id": 7, "interaction_id": 3, "direction": "in", "kind": "text", "text": "new <b>text</b>",
            "status": "received", "sender": "Ana", "error": None, "created_at": at(5), "sent_at": at(1), "recipient": None, "payload": None, "reaction": None,
            "edits": None, "revoked_at": None, "interaction__customer_name": "Ana Souza",
            "interaction__customer_phone": "+5511987650001", "interaction__contact__first_name": None,
            "interaction__contact__last_name": None, "interaction__contact__email": None, "attachment": None}
    return base | changes


def test_an_edited_deleted_and_reacted_message_says_so_with_both_times() -> None:
    view = message_view(row(edits=[{"text": "old <i>text</i>", "at": "x", "id": "e1"}], reaction="👍",
                            revoked_at=at(60)))
    html = bubble_html(view, None)
    assert "new &lt;b&gt;text&lt;/b&gt;" in html and "<b>" not in html
    assert "Earlier versions" in html and "old &lt;i&gt;text&lt;/i&gt;" in html
    assert "Deleted by the customer" in html and "line-through" in html
    assert "👍" in html and "edited" in html
    assert "Sent by the customer 2026-12-07 10:00:01 UTC · received 2026-12-07 10:00:05 UTC" in html


def test_the_raw_payload_is_shown_only_to_whom_the_view_carries_it_and_earlier_texts_are_masked() -> None:
    unreadable = row(kind="unsupported", text="[a message of type poll this desk cannot show]",
                     payload='{"from": "5511987650001", "x": "<script>"}',
                     edits=[{"text": "call +55 11 98765 0001", "at": "x", "id": "e1"}])
    for_admin = bubble_html(message_view(unreadable, with_payload=True), None)
    assert "Raw payload" in for_admin and "&lt;script&gt;" in for_admin and "<script>" not in for_admin
    masked = message_view(unreadable, Masking("full", "none", "none"))
    assert "payload" not in masked and "Raw payload" not in bubble_html(masked, None)
    assert masked["previous_texts"] == ["call •••"]


def test_the_chat_orders_by_the_customers_time_then_by_id() -> None:
    ours = {"id": 2, "created_at": "2026-12-07T10:00:03Z", "sent_at": None}
    late = {"id": 3, "created_at": "2026-12-07T10:00:09Z", "sent_at": "2026-12-07T10:00:02Z"}
    first = {"id": 1, "created_at": "2026-12-07T10:00:01Z", "sent_at": "2026-12-07T10:00:01Z"}
    assert [m["id"] for m in in_chat_order([ours, late, first])] == [1, 3, 2]
