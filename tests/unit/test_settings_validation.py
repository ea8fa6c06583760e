"""validate_settings: a partial settings change is checked and normalized, or refused naming the field (SPEC A2)."""
from __future__ import annotations

from typing import Any

import pytest

from server.errors import Invalid
from server.services.settings import DEFAULTS, validate_settings


def refused(changes: Any) -> str:
    with pytest.raises(Invalid) as error:
        validate_settings(changes)
    assert error.value.status == 422
    return error.value.message


def test_defaults_are_valid_settings():
    assert validate_settings(DEFAULTS) == DEFAULTS


def test_defaults_match_the_spec():
    assert DEFAULTS["transfer"] == {"enabled": True, "to": "both"}
    assert DEFAULTS["attachments"]["max_mb"] == 15
    assert DEFAULTS["max_tabs"] == 20
    assert DEFAULTS["agent_timeout"] == 300


def test_a_partial_change_returns_only_what_it_changes():
    assert validate_settings({"agent_timeout": 120}) == {"agent_timeout": 120}
    assert validate_settings({"transfer": {"to": "queues"}}) == {"transfer": {"to": "queues"}}


def test_validation_does_not_change_the_callers_dict():
    changes = {"attachments": {"enabled": False, "max_mb": 10}}
    out = validate_settings(changes)
    out["attachments"]["max_mb"] = 99
    assert changes == {"attachments": {"enabled": False, "max_mb": 10}}


@pytest.mark.parametrize("changes", [{}, None, [], "agent_timeout=5"])
def test_nothing_to_change_is_refused(changes: Any):
    assert refused(changes) == "Send at least one setting to change."


def test_unknown_settings_are_named():
    assert refused({"max_tabs": 5, "colour": "red", "bogus": 1}) == "Unknown setting(s): bogus, colour."


# --- transfer --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("to", ["agents", "queues", "both"])
def test_transfer_to_agents_queues_or_both(to: str):
    assert validate_settings({"transfer": {"enabled": True, "to": to}}) == {"transfer": {"enabled": True, "to": to}}


def test_transfer_can_be_disabled():
    assert validate_settings({"transfer": {"enabled": False}}) == {"transfer": {"enabled": False}}


@pytest.mark.parametrize(("transfer", "message"), [
    ({"to": "everyone"}, "transfer.to must be agents, queues or both."),
    ({"enabled": "yes"}, "transfer.enabled must be true or false."),
    ({"enabled": 1}, "transfer.enabled must be true or false."),
    ({"timeout": 30}, "Unknown field(s) in transfer: timeout."),
    (True, "transfer must be an object."),
])
def test_bad_transfer_settings_are_refused(transfer: Any, message: str):
    assert refused({"transfer": transfer}) == message


# --- numbers -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "low", "high"), [("agent_timeout", 5, 3600), ("max_tabs", 1, 100)])
def test_whole_numbers_are_accepted_at_their_bounds(key: str, low: int, high: int):
    assert validate_settings({key: low}) == {key: low}
    assert validate_settings({key: high}) == {key: high}


@pytest.mark.parametrize(("key", "low", "high"), [("agent_timeout", 5, 3600), ("max_tabs", 1, 100)])
def test_whole_numbers_out_of_range_or_not_whole_are_refused(key: str, low: int, high: int):
    message = f"{key} must be a whole number from {low} to {high}."
    for value in (low - 1, high + 1, 30.0, "30", True, None):
        assert refused({key: value}) == message


# --- attachments -------------------------------------------------------------------------------------------
def test_attachment_size_from_1_to_25_mb():
    assert validate_settings({"attachments": {"max_mb": 1}}) == {"attachments": {"max_mb": 1}}
    assert validate_settings({"attachments": {"enabled": True, "max_mb": 25}}) == {
        "attachments": {"enabled": True, "max_mb": 25}}


@pytest.mark.parametrize(("attachments", "message"), [
    ({"max_mb": 0}, "attachments.max_mb must be a whole number from 1 to 25."),
    ({"max_mb": 26}, "attachments.max_mb must be a whole number from 1 to 25."),
    ({"max_mb": 2.5}, "attachments.max_mb must be a whole number from 1 to 25."),
    ({"enabled": "no"}, "attachments.enabled must be true or false."),
    ({"types": ["pdf"]}, "Unknown field(s) in attachments: types."),
    (15, "attachments must be an object."),
])
def test_bad_attachment_settings_are_refused(attachments: Any, message: str):
    assert refused({"attachments": attachments}) == message


# --- masking -----------------------------------------------------------------------------------------------
def test_masking_modes_per_field():
    changes = {"masking": {"phone": "full", "email": "partial", "name": "none"}}
    assert validate_settings(changes) == changes


@pytest.mark.parametrize(("masking", "message"), [
    ({"phone": "hidden"}, "masking.phone must be none, partial or full."),
    ({"email": None}, "masking.email must be none, partial or full."),
    ({"address": "full"}, "Unknown field(s) in masking: address."),
    ("full", "masking must be an object."),
])
def test_bad_masking_settings_are_refused(masking: Any, message: str):
    assert refused({"masking": masking}) == message


def test_one_bad_field_refuses_the_whole_change():
    assert refused({"max_tabs": 10, "agent_timeout": 0}) == "agent_timeout must be a whole number from 5 to 3600."


def test_the_default_region_is_a_known_country_code_or_none():
    assert validate_settings({"default_region": "it"}) == {"default_region": "IT"}
    assert validate_settings({"default_region": ""}) == {"default_region": ""}
    assert "country code" in refused({"default_region": "XX"})
    assert "country code" in refused({"default_region": 39})
