"""The supervisor board's figures from the actors' events (domain.board), without actors or I/O."""
from __future__ import annotations

from datetime import date

from server.domain.board import Board
from server.domain.events import (AgentStateChanged, DeskStarted, InteractionOwned, InteractionPlaced,
                                  InteractionReleased, MessageAdded, OfferGone, OfferShown, QueueAnswered, QueueChanged,
                                  QueueRemoved)

T0 = 1_000_000.0


def board_with_two_queues() -> Board:
    board = Board(T0, day_of=lambda t: date(2026, 1, 1 + int((t - T0) // 86_400)))
    board.apply(QueueChanged("Sales", 0, 0, None, 30.0), T0)
    board.apply(QueueChanged("Care", 0, 0, None, 60.0), T0)
    board.apply(DeskStarted("ann", "online", None, 2, ("Sales",), ()), T0)
    board.apply(DeskStarted("bob", "offline", None, 2, ("Sales", "Care"), ()), T0)
    return board


def queue(board: Board, name: str, now: float, visible=None) -> dict:
    return next(r for r in board.queue_rows(now, visible) if r["name"] == name)


def test_waiting_offers_and_the_longest_wait_follow_the_queue() -> None:
    board = board_with_two_queues()
    board.apply(QueueChanged("Sales", 2, 1, T0 + 5, 30.0), T0 + 6)
    row = queue(board, "Sales", T0 + 17)
    assert (row["waiting"], row["offers_in_flight"], row["longest_wait"]) == (2, 1, 12.0)
    board.apply(QueueChanged("Sales", 0, 0, None, 30.0), T0 + 20)
    assert queue(board, "Sales", T0 + 30)["longest_wait"] == 0


def test_agents_are_counted_per_queue_by_state_with_full_when_at_capacity() -> None:
    board = board_with_two_queues()
    assert queue(board, "Sales", T0)["agents"] == {"online": 1, "paused": 0, "full": 0, "offline": 1}
    assert queue(board, "Care", T0)["agents"] == {"online": 0, "paused": 0, "full": 0, "offline": 1}
    board.apply(InteractionOwned("ann", 1), T0 + 1)
    board.apply(InteractionOwned("ann", 2), T0 + 2)
    assert queue(board, "Sales", T0 + 3)["agents"]["full"] == 1
    [ann] = [a for a in board.agent_rows(T0 + 5) if a["username"] == "ann"]
    assert (ann["state"], ann["open"], ann["in_state_seconds"]) == ("full", 2, 3.0)  # full since the second
    board.apply(InteractionReleased("ann", 1, "closed"), T0 + 10)
    board.apply(AgentStateChanged("bob", "paused", "Lunch"), T0 + 10)
    assert queue(board, "Care", T0 + 11)["agents"] == {"online": 0, "paused": 1, "full": 0, "offline": 0}
    [bob] = [a for a in board.agent_rows(T0 + 12) if a["username"] == "bob"]
    assert (bob["state"], bob["reason"], bob["in_state_seconds"]) == ("paused", "Lunch", 2.0)


def test_offers_held_by_an_agent_are_counted() -> None:
    board = board_with_two_queues()
    board.apply(OfferShown("ann", 7, "Sales", "new", T0 + 30), T0)
    board.apply(OfferShown("ann", 8, "Sales", "new", T0 + 30), T0)
    board.apply(OfferGone("ann", 7, "taken", "bob"), T0 + 1)
    assert [a["offers"] for a in board.agent_rows(T0 + 2) if a["username"] == "ann"] == [1]
    board.apply(InteractionOwned("ann", 8), T0 + 3)  # she accepted it: owned, no longer an offer
    assert [(a["offers"], a["open"]) for a in board.agent_rows(T0 + 4) if a["username"] == "ann"] == [(0, 1)]


def test_open_interactions_per_queue_come_and_go() -> None:
    board = board_with_two_queues()
    for interaction_id in (1, 2, 3):
        board.apply(InteractionPlaced(interaction_id, "Care", True), T0)
    board.apply(InteractionPlaced(2, "Care", False), T0 + 1)
    assert queue(board, "Care", T0 + 1)["open"] == 2


def test_a_rebuilt_desk_brings_its_open_interactions() -> None:
    board = board_with_two_queues()
    board.apply(DeskStarted("cy", "online", None, 3, ("Care",), (11, 12)), T0)
    board.apply(InteractionReleased("cy", 11, "closed"), T0 + 1)
    assert [a["open"] for a in board.agent_rows(T0 + 2) if a["username"] == "cy"] == [1]


def test_answers_within_the_target_today_and_a_new_day_starts_at_zero() -> None:
    board = board_with_two_queues()
    board.count_answered("Sales", 3, 2)  # stored before the board started
    board.apply(QueueAnswered("Sales", 1, "ann", 12.0), T0 + 1)
    board.apply(QueueAnswered("Sales", 2, "ann", 31.0), T0 + 2)  # over the 30 s target
    row = queue(board, "Sales", T0 + 3)
    assert (row["answered_today"], row["within_target_today"], row["within_target_share"]) == (5, 3, 0.6)
    assert queue(board, "Sales", T0 + 86_400)["answered_today"] == 0
    assert queue(board, "Care", T0)["within_target_share"] is None


def test_a_supervisor_sees_only_the_visible_queues_and_their_agents() -> None:
    board = board_with_two_queues()
    assert [r["name"] for r in board.queue_rows(T0, {"Care", "Elsewhere"})] == ["Care"]
    assert [a["username"] for a in board.agent_rows(T0, {"Care"})] == ["bob"]
    assert [a["username"] for a in board.agent_rows(T0, set())] == []


def test_events_the_board_does_not_show_change_nothing() -> None:
    board = board_with_two_queues()
    assert board.apply(MessageAdded(1, 1, "in"), T0) is False


def test_a_deleted_queue_leaves_the_board_and_its_agents() -> None:
    board = board_with_two_queues()
    board.apply(QueueRemoved("Care"), T0)
    assert [r["name"] for r in board.queue_rows(T0)] == ["Sales"]
    assert [a["queues"] for a in board.agent_rows(T0) if a["username"] == "bob"] == [["Sales"]]
