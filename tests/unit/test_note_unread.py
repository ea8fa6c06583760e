"""A supervisor's note is unread for its recipient only while they own the interaction (SPEC R8, S2)."""
from __future__ import annotations

from server.domain.interaction import InteractionLife


def test_a_note_for_the_owner_counts_until_they_read() -> None:
    life = InteractionLife(1, "q", owner="ann")
    assert life.note_for("ann") is True
    life.inbound()
    assert life.unread == 2
    assert life.read("ann") is True
    assert life.unread == 0 and life.unread_notes == []


def test_a_note_for_someone_else_does_not_count() -> None:
    life = InteractionLife(1, "q", owner="ann")
    assert life.note_for("bob") is False
    assert life.unread == 0


def test_after_a_transfer_the_previous_owners_note_no_longer_counts() -> None:
    life = InteractionLife(1, "q", owner="ann")
    life.note_for("ann")
    life.start_transfer("ann", {"bob"}, deadline=10.0, to_agent="bob")
    life.accept_transfer("bob")
    assert life.unread == 0


def test_rebuilt_notes_count_for_the_owner() -> None:
    life = InteractionLife(1, "q", owner="ann", unread_count=1, unread_notes=["ann", "bob"])
    assert life.unread == 2
