"""InteractionLife: owner, unread counts, transfers and close (SPEC R7, R8, R10)."""
from __future__ import annotations

import pytest

from server.domain.interaction import InteractionLife, PendingTransfer, Status, TransferAccepted
from server.errors import Conflict, Forbidden, Invalid


def owned(owner: str = "ann", *, unread: int = 0) -> InteractionLife:
    return InteractionLife(1, "sales", owner=owner, unread_count=unread)


def transferring(*targets: str, to_queue: str | None = None, deadline: float = 300.0) -> InteractionLife:
    """Owned by ann, with a transfer pending to `targets` (one agent, or the agents of `to_queue`)."""
    life = owned()
    if to_queue:
        life.start_transfer("ann", set(targets), deadline, to_queue=to_queue)
    else:
        life.start_transfer("ann", set(targets), deadline, to_agent=targets[0])
    return life


# --- R8: unread counts ---------------------------------------------------------------------------------
def test_each_inbound_message_adds_one_unread():
    life = owned()
    assert [life.inbound() for _ in range(3)] == [1, 2, 3]
    assert life.unread == 3


def test_owner_reading_clears_the_unread_count():
    life = owned(unread=4)
    assert life.read("ann") is True
    assert life.unread == 0


def test_someone_else_reading_changes_no_unread_count():
    life = owned(unread=2)
    assert life.read("supervisor") is False
    assert life.unread == 2


def test_reading_with_nothing_unread_reports_no_change():
    assert owned().read("ann") is False


def test_waiting_interaction_counts_unread_and_nobody_can_clear_it():
    life = InteractionLife(1, "sales")
    life.inbound()
    assert life.read("ann") is False
    assert life.unread == 1


def test_inbound_on_a_closed_interaction_is_refused():
    life = owned()
    life.close("ann")
    with pytest.raises(Conflict) as error:
        life.inbound()
    assert error.value.code == "closed"


# --- owner ---------------------------------------------------------------------------------------------
def test_assign_gives_a_waiting_interaction_its_owner():
    life = InteractionLife(1, "sales", unread_count=2)
    life.assign("bob")
    assert life.owner == "bob"
    assert life.unread == 2
    assert life.read("bob") is True


def test_assign_to_an_owned_interaction_is_refused_naming_the_owner():
    life = owned("ann")
    with pytest.raises(Conflict) as error:
        life.assign("bob")
    assert error.value.code == "taken"
    assert "ann" in error.value.message
    assert life.owner == "ann"


def test_assign_to_a_closed_interaction_is_refused():
    life = InteractionLife(1, "sales", status=Status.CLOSED)
    with pytest.raises(Conflict) as error:
        life.assign("bob")
    assert error.value.code == "closed"


# --- R7: starting a transfer ---------------------------------------------------------------------------
def test_transfer_keeps_the_owner_until_someone_accepts():
    life = transferring("bob", deadline=300.0)
    assert life.owner == "ann"
    assert life.transfer == PendingTransfer(1, "ann", {"bob"}, 300.0, to_agent="bob")
    assert life.transfer.target_label == "agent bob"


def test_transfer_to_a_queue_offers_every_target_but_the_owner():
    life = transferring("bob", "ann", "cid", to_queue="support")
    assert life.transfer.targets == {"bob", "cid"}
    assert life.transfer.target_label == "queue support"


def test_only_the_owner_can_transfer():
    life = owned("ann")
    with pytest.raises(Forbidden):
        life.start_transfer("bob", {"cid"}, 300.0, to_agent="cid")
    assert life.transfer is None


@pytest.mark.parametrize("target", [{}, {"to_agent": "bob", "to_queue": "support"}])
def test_transfer_names_exactly_one_agent_or_one_queue(target: dict[str, str]):
    life = owned()
    with pytest.raises(Invalid):
        life.start_transfer("ann", {"bob"}, 300.0, **target)
    assert life.transfer is None


def test_transfer_to_yourself_is_invalid():
    with pytest.raises(Invalid):
        owned("ann").start_transfer("ann", {"ann"}, 300.0, to_agent="ann")


def test_second_transfer_while_one_is_pending_is_refused():
    life = transferring("bob")
    with pytest.raises(Conflict) as error:
        life.start_transfer("ann", {"cid"}, 400.0, to_agent="cid")
    assert error.value.code == "transfer_pending"
    assert "agent bob" in error.value.message
    assert life.transfer.targets == {"bob"}


def test_closed_interaction_cannot_be_transferred():
    life = owned()
    life.close("ann")
    with pytest.raises(Conflict) as error:
        life.start_transfer("ann", {"bob"}, 300.0, to_agent="bob")
    assert error.value.code == "closed"


# --- R7: accepted in time -------------------------------------------------------------------------------
def test_transfer_accepted_in_time_changes_the_owner():
    life = transferring("bob")
    assert life.accept_transfer("bob") == TransferAccepted("ann", "bob", [])
    assert life.owner == "bob"
    assert life.transfer is None


def test_transfer_to_a_queue_first_to_accept_wins_and_the_others_lose_the_offer():
    life = transferring("bob", "cid", "dan", to_queue="support")
    assert life.accept_transfer("cid") == TransferAccepted("ann", "cid", ["bob", "dan"])
    assert life.owner == "cid"


def test_accept_by_a_second_target_is_refused():
    life = transferring("bob", "cid", to_queue="support")
    life.accept_transfer("bob")
    with pytest.raises(Conflict) as error:
        life.accept_transfer("cid")
    assert error.value.code == "taken"
    assert life.owner == "bob"


def test_accept_by_someone_not_offered_the_transfer_is_refused():
    life = transferring("bob")
    with pytest.raises(Conflict) as error:
        life.accept_transfer("eve")
    assert error.value.code == "offer_gone"
    assert (life.owner, life.transfer.targets) == ("ann", {"bob"})


def test_unread_messages_follow_the_interaction_to_its_new_owner():
    life = transferring("bob")
    life.inbound()
    life.inbound()
    life.accept_transfer("bob")
    assert life.unread == 2
    assert life.read("ann") is False
    assert life.read("bob") is True


def test_owner_can_transfer_again_after_an_accepted_transfer():
    life = transferring("bob")
    life.accept_transfer("bob")
    pending = life.start_transfer("bob", {"ann"}, 900.0, to_agent="ann")
    assert (pending.generation, pending.from_agent) == (2, "bob")


# --- R7: nobody accepts ---------------------------------------------------------------------------------
def test_transfer_returns_unread_on_timeout():
    life = transferring("bob", "cid", to_queue="support")
    assert life.unread == 0
    assert life.expire_transfer(1) == ["bob", "cid"]
    assert life.owner == "ann"
    assert life.transfer is None
    assert life.unread == 1


def test_transfer_timeout_keeps_a_higher_unread_count():
    life = owned(unread=3)
    life.start_transfer("ann", {"bob"}, 300.0, to_agent="bob")
    life.expire_transfer(1)
    assert life.unread == 3
    life.inbound()
    assert life.unread == 4


def test_returned_interaction_is_read_by_the_owner_opening_it():
    life = transferring("bob")
    life.expire_transfer(1)
    assert life.read("bob") is False
    assert life.read("ann") is True
    assert life.unread == 0


def test_accept_after_the_timeout_is_refused_as_gone_not_taken():
    life = transferring("bob")
    life.expire_transfer(1)
    with pytest.raises(Conflict) as error:
        life.accept_transfer("bob")
    assert error.value.code == "offer_gone"
    assert life.owner == "ann"


def test_late_accept_of_a_won_transfer_names_the_winner():
    life = transferring("bob", "cid", to_queue="support")
    life.accept_transfer("bob")
    with pytest.raises(Conflict) as error:
        life.accept_transfer("cid")
    assert error.value.code == "taken" and "bob" in error.value.message


def test_transfer_with_nobody_to_offer_it_to_returns_at_once_unread():
    life = owned()
    pending = life.start_transfer("ann", set(), 300.0, to_queue="empty")
    assert pending.targets == set()
    assert life.expire_transfer(pending.generation) == []
    assert (life.owner, life.unread, life.transfer) == ("ann", 1, None)


def test_one_target_declining_leaves_the_transfer_to_the_others():
    life = transferring("bob", "cid", to_queue="support")
    assert life.decline_transfer("bob") is False
    assert life.transfer.targets == {"cid"}
    assert life.unread == 0


def test_last_target_declining_returns_the_interaction_unread():
    life = transferring("bob")
    assert life.decline_transfer("bob") is True
    assert (life.owner, life.transfer, life.unread) == ("ann", None, 1)


def test_decline_by_someone_not_offered_is_refused():
    life = transferring("bob")
    with pytest.raises(Conflict) as error:
        life.decline_transfer("eve")
    assert error.value.code == "offer_gone"
    with pytest.raises(Conflict):
        owned().decline_transfer("bob")


def test_stale_transfer_timer_is_ignored():
    life = transferring("bob")
    life.decline_transfer("bob")  # the first transfer failed; its timer is still armed
    life.read("ann")
    life.start_transfer("ann", {"cid"}, 600.0, to_agent="cid")
    assert life.expire_transfer(1) is None
    assert life.transfer == PendingTransfer(2, "ann", {"cid"}, 600.0, to_agent="cid")
    assert life.unread == 0
    assert life.expire_transfer(2) == ["cid"]


def test_timer_of_an_accepted_transfer_is_ignored():
    life = transferring("bob")
    life.accept_transfer("bob")
    assert life.expire_transfer(1) is None
    assert (life.owner, life.unread) == ("bob", 0)


def test_restored_pending_transfer_keeps_its_generation():
    pending = PendingTransfer(4, "ann", {"bob"}, 50.0, to_agent="bob")
    life = InteractionLife(1, "sales", owner="ann", transfer=pending)
    assert life.expire_transfer(3) is None
    assert life.expire_transfer(4) == ["bob"]
    assert life.start_transfer("ann", {"bob"}, 90.0, to_agent="bob").generation == 5


def test_restored_returned_interaction_is_still_unread():
    life = InteractionLife(1, "sales", owner="ann", returned_unread=True)
    assert life.unread == 1


# --- R10: close ------------------------------------------------------------------------------------------
def test_close_by_the_owner_closes():
    life = owned()
    assert life.close("ann") == []
    assert life.status is Status.CLOSED


def test_only_the_owner_can_close():
    life = owned("ann")
    with pytest.raises(Forbidden):
        life.close("bob")
    assert life.status is Status.OPEN


def test_close_returns_the_pending_transfer_targets_to_withdraw():
    life = transferring("cid", "bob", to_queue="support")
    assert life.close("ann") == ["bob", "cid"]
    assert life.transfer is None
    assert life.status is Status.CLOSED


def test_closed_interaction_cannot_be_closed_or_taken_again():
    life = transferring("bob")
    life.close("ann")
    with pytest.raises(Conflict) as error:
        life.close("ann")
    assert error.value.code == "closed"
    with pytest.raises(Conflict) as error:
        life.accept_transfer("bob")
    assert error.value.code == "closed"
    assert life.expire_transfer(1) is None
