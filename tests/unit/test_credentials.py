"""Provider credentials at rest (persistence/credentials.py) and as the admin API shows them."""
from __future__ import annotations

import logging

import pytest

from server.domain.desk import AgentDesk, AgentState, HeldOffer
from server.persistence import credentials
from server.services.account_admin import credentials_view, masked, merged_credentials
from server.errors import Invalid


@pytest.fixture(autouse=True)
def key() -> None:
    credentials.configure("unit-test-secret")


def test_sealed_credentials_hold_no_plain_value_and_open_again() -> None:
    values = {"app_secret": "s3cr3t-value", "media_by_link": True}
    stored = credentials.seal(values)
    assert list(stored) == ["sealed"] and "s3cr3t" not in str(stored)
    assert credentials.open_stored(stored) == values
    assert credentials.seal(values) != stored  # a fresh token each time (Fernet's IV)
    assert credentials.seal({}) == {} and credentials.open_stored({}) == {}


def test_plain_rows_from_before_encryption_are_still_read() -> None:
    assert credentials.open_stored({"auth_token": "t"}) == {"auth_token": "t"}
    assert credentials.open_stored(None) == {}


def test_a_token_of_another_secret_opens_to_nothing_and_logs_no_value(caplog: pytest.LogCaptureFixture) -> None:
    stored = credentials.seal({"app_secret": "the-value"})
    credentials.configure("another-secret")
    with caplog.at_level(logging.ERROR):
        assert credentials.open_stored(stored, "meta-x") == {}
    assert "meta-x" in caplog.text and "the-value" not in caplog.text


def test_the_key_needs_a_secret_and_depends_on_it() -> None:
    with pytest.raises(ValueError):
        credentials.derive_key("")
    assert credentials.derive_key("a") != credentials.derive_key("b")
    assert credentials.derive_key("a") == credentials.derive_key("a")


def test_views_mask_every_value_and_merges_check_the_provider_keys() -> None:
    assert masked("demo-app-secret") == "••••cret" and masked("short") == "••••"
    view = credentials_view("twilio", {"account_sid": "AC0123456789abcdef", "auth_token": "x"})
    assert view == {"account_sid": {"set": True, "hint": "••••cdef", "required": True},
                    "auth_token": {"set": True, "hint": "••••", "required": True}}
    current = {"account_sid": "AC1", "auth_token": "old"}
    assert merged_credentials("twilio", current, {"auth_token": "new"}) == {"account_sid": "AC1", "auth_token": "new"}
    with pytest.raises(Invalid, match="auth_token"):
        merged_credentials("twilio", current, {"auth_token": None})
    with pytest.raises(Invalid, match="app_secret"):
        merged_credentials("twilio", current, {"app_secret": "x"})
    meta = {"phone_number_id": "1", "access_token": "t", "app_secret": "s", "verify_token": "v"}
    assert merged_credentials("meta", meta, {"media_by_link": True})["media_by_link"] is True
    with pytest.raises(Invalid, match="true or false"):
        merged_credentials("meta", meta, {"media_by_link": "yes"})
    assert merged_credentials("sandbox", {}, {}) == {}


def test_a_desk_joins_and_leaves_queues_and_takes_a_new_capacity() -> None:
    desk = AgentDesk("a", 3, state=AgentState.ONLINE, weights={"Q1": 0})
    assert desk.join_queue("Q2", 5) is True and desk.join_queue("Q2", 7) is False
    assert desk.weights == {"Q1": 0, "Q2": 7}
    offers = [HeldOffer(i, "Q1", "new", 100.0, 0, i) for i in (1, 2, 3)]
    assert len(desk.receive(offers).shown) == 3
    dropped = desk.set_capacity(1)
    assert [o.interaction_id for o in dropped] == [2, 3] and list(desk.offers) == [1]
    desk.leave_queue("Q2")
    assert desk.weights == {"Q1": 0} and desk.availability_for("Q1").budget == 1
