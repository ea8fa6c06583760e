"""The customer service window (SPEC T1) with an injected clock: boundaries, time zones, per-account length,
and why free text is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.domain.recontact import recontact_variables
from server.domain.window import NEVER_OPENED, window_closed_reason, window_closes_at, window_open
from server.errors import Invalid

LAST = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # the night Europe moves its clocks forward


@pytest.mark.parametrize(("after", "is_open"), [
    (timedelta(0), True), (timedelta(hours=23, minutes=59, seconds=59), True),
    (timedelta(hours=24), False), (timedelta(hours=24, microseconds=1), False), (timedelta(days=3), False)])
def test_the_window_closes_exactly_24_hours_after_the_last_customer_message(after, is_open):
    assert window_open(window_closes_at("meta", None, LAST), LAST + after) is is_open


def test_time_zones_do_not_move_the_window():
    rome = timezone(timedelta(hours=2))  # after the change: 24 h later is 24 h later, whatever the wall clock
    last_in_rome = LAST.astimezone(rome)
    closes = window_closes_at("meta", None, last_in_rome)
    assert closes == LAST + timedelta(hours=24)
    assert window_open(closes, (LAST + timedelta(hours=23)).astimezone(timezone(timedelta(hours=-7))))
    assert not window_open(closes, (LAST + timedelta(hours=24)).astimezone(rome))


@pytest.mark.parametrize(("provider", "hours", "closes_after"), [
    ("meta", None, timedelta(hours=24)), ("kaleyra", None, timedelta(hours=24)), ("meta", 72, timedelta(hours=72)),
    ("twilio", 24, timedelta(hours=24)), ("sinch", 1, timedelta(hours=1)), ("meta", 0, None), ("twilio", None, None),
    ("sandbox", None, None)])
def test_each_account_has_its_own_length_or_none(provider, hours, closes_after):
    closes = window_closes_at(provider, hours, LAST)
    assert closes == (None if closes_after is None else LAST + closes_after)


def test_a_conversation_the_customer_never_wrote_in_has_a_closed_window_where_one_applies():
    assert window_closes_at("meta", None, None) == NEVER_OPENED and not window_open(NEVER_OPENED, LAST)
    assert window_closes_at("twilio", None, None) is None  # no window: always open
    assert "not written in this conversation yet" in window_closed_reason("meta", None, None)
    assert "last 72 hours" in window_closed_reason("meta", 72, LAST)


def test_the_recontact_template_takes_the_customers_first_name_then_the_agents_name():
    assert recontact_variables("Hi {{1}}, {{2}} here.", "Ada", "Bruno") == ["Ada", "Bruno"]
    assert recontact_variables("Hi {{1}}!", "Ada", "Bruno") == ["Ada"]
    assert recontact_variables("Can we talk?", "Ada", "Bruno") == []
    with pytest.raises(Invalid):
        recontact_variables("{{1}} {{2}} {{3}}", "Ada", "Bruno")
