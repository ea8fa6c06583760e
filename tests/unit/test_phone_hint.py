"""How a refused number should be typed, and how a customer is named: its readable number, masks untouched."""
from __future__ import annotations

from server.domain.phone import phone_hint
from server.ui.bubbles import customer_label


def test_a_national_number_without_a_region_points_to_the_country_code_and_the_setting() -> None:
    hint = phone_hint("333 123 4567", None)
    assert "country code" in hint and "default region" in hint


def test_with_a_region_the_hint_names_it() -> None:
    assert "national number of IT" in phone_hint("333 12", "IT")
    assert "default region" not in phone_hint("+39 12", None)


def test_a_customer_is_named_by_name_else_by_the_readable_number() -> None:
    assert customer_label({"name": "Rosa", "phone": "+393331234567"}) == "Rosa"
    assert customer_label({"name": "", "phone": "+393331234567"}) == "+39 333 123 4567"
    assert customer_label({"name": "", "phone": "+393•••67"}) == "+393•••67"
    assert customer_label({"name": "", "phone": ""}) == "Customer"
