"""Campaign rules without I/O (SPEC T5): variable mappings, each contact's values or the reason it is
skipped, the state changes allowed, and the even pace of sending."""
from __future__ import annotations

import pytest

from server.domain.campaigns import Pace, check_mapping, check_rate, next_state, phone_problem, values_for
from server.errors import Conflict, Invalid

CONTACT = {"first_name": "Ada", "last_name": "Rossi", "company": "", "email": "ada@example.com",
           "field_values": {"city": "  Turin \n"}}


def test_a_mapping_names_one_source_per_variable() -> None:
    assert check_mapping(["first_name", "field:city", "text:Acme"], 3, ["city"]) == [
        "first_name", "field:city", "text:Acme"]


@pytest.mark.parametrize(("mapping", "words"), [
    (["first_name"], "takes 2 variable(s); 1 mapped"),
    (["first_name", "field:size"], "no field 'size'"),
    (["first_name", "nickname"], "not a contact field"),
    (["first_name", "text:"], "fixed text"),
    ("first_name", "a list"),
])
def test_a_bad_mapping_says_what_is_wrong(mapping, words) -> None:
    with pytest.raises(Invalid) as error:
        check_mapping(mapping, 2, ["city"])
    assert words in error.value.message


def test_values_come_from_the_contact_on_one_line() -> None:
    assert values_for(["first_name", "field:city", "text:Acme"], CONTACT) == (["Ada", "Turin", "Acme"], "")


def test_a_missing_value_is_the_reason_to_skip() -> None:
    assert values_for(["first_name", "company"], CONTACT) == ([], "No value for {{2}} (company).")


@pytest.mark.parametrize(("phone", "reason"), [
    ("+393331234567", ""), ("", "The contact has no phone number."), ("+3912", "+3912 is not a valid phone number."),
    (None, "The contact has no phone number.")])
def test_only_valid_numbers_receive(phone, reason) -> None:
    assert phone_problem(phone) == reason


def test_states_move_only_as_allowed() -> None:
    assert next_state("draft", "start") == "running"
    assert next_state("running", "pause") == "paused"
    assert next_state("paused", "resume") == "running"
    assert next_state("paused", "cancel") == "cancelled"
    for state, action in (("draft", "pause"), ("finished", "cancel"), ("cancelled", "resume"), ("running", "start")):
        with pytest.raises(Conflict):
            next_state(state, action)


@pytest.mark.parametrize("rate", [0, 0.05, 81, "5", True, None])
def test_the_rate_is_bounded(rate) -> None:
    with pytest.raises(Invalid):
        check_rate(rate)


def test_the_pace_releases_messages_evenly() -> None:
    pace = Pace(10, start=100.0)
    assert pace.due(100.0) == 1  # the first at once
    pace.release(1)
    assert pace.due(100.05) == 0 and pace.wait(100.05) == pytest.approx(0.05)
    assert pace.due(100.35) == 3  # late: what fell due meanwhile goes together
    pace.release(3)
    assert pace.due(100.35) == 0 and pace.wait(100.35) == pytest.approx(0.05)
