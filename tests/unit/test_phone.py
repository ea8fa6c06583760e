"""normalize_phone: every number we store or compare is E.164."""
from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.phone import normalize_phone, plain_e164, readable_phone
from server.errors import Invalid


@pytest.mark.parametrize("raw", [
    "+393331234567",
    "+39 333 123 4567",
    "+39 (333) 123-4567",
    "  +39 333 123 4567  ",
    "whatsapp:+393331234567",
    "whatsapp: +39 333 123 4567",
    "393331234567",  # a WhatsApp id (wa_id) comes without the plus
])
def test_italian_mobile_in_any_usual_form_becomes_e164(raw: str):
    assert normalize_phone(raw) == "+393331234567"


@pytest.mark.parametrize(("raw", "expected"), [
    ("+1 650 253 0000", "+16502530000"),
    ("+44 20 7946 0958", "+442079460958"),
    ("5511912345678", "+5511912345678"),
    ("whatsapp:+919876543210", "+919876543210"),
])
def test_numbers_of_other_countries_become_e164(raw: str, expected: str):
    assert normalize_phone(raw) == expected


def test_national_number_uses_the_default_region():
    assert normalize_phone("333 123 4567", "IT") == "+393331234567"
    assert normalize_phone("(650) 253-0000", "US") == "+16502530000"


def test_international_number_ignores_the_default_region():
    assert normalize_phone("+39 333 123 4567", "US") == "+393331234567"


def test_normalizing_twice_changes_nothing():
    once = normalize_phone("whatsapp:+39 333 123 4567")
    assert normalize_phone(once) == once


@pytest.mark.parametrize("raw", ["", "   ", "whatsapp:", None])
def test_missing_number_is_invalid(raw):
    with pytest.raises(Invalid) as error:
        normalize_phone(raw)
    assert error.value.message == "A phone number is required."
    assert error.value.code == "invalid"


@pytest.mark.parametrize("raw", ["hello", "+12", "+39 123", "+1 555 0100", "whatsapp:+00000000000", "++39333"])
def test_something_that_is_not_a_valid_number_is_invalid(raw: str):
    with pytest.raises(Invalid) as error:
        normalize_phone(raw)
    assert repr(raw) in error.value.message


def test_national_number_without_a_region_is_invalid():
    with pytest.raises(Invalid):
        normalize_phone("020 7946 0958")


@pytest.mark.parametrize("raw", ["0039 333 123 4567", "0039333 1234567", "00393331234567"])
def test_the_international_00_prefix_is_read_as_the_plus(raw: str):
    assert normalize_phone(raw) == "+393331234567"


@pytest.mark.parametrize("raw", ["333 123 4567", "3331234567", "+39 333 123 4567", "0039 333 123 4567"])
def test_a_national_number_belongs_to_the_default_region(raw: str):
    assert normalize_phone(raw, "IT") == "+393331234567"


def test_a_national_number_without_a_default_region_is_refused():
    with pytest.raises(Invalid):
        normalize_phone("333 123")


def test_a_number_reads_in_groups_and_a_masked_one_stays_as_it_is():
    assert readable_phone("+393331234567") == "+39 333 123 4567"
    assert readable_phone("+16502530000") == "+1 650-253-0000"
    assert readable_phone("+393•••67") == "+393•••67" and readable_phone("•••") == "•••"


def test_a_foreign_number_typed_with_its_country_code_but_no_plus_is_read_despite_the_region():
    assert normalize_phone("14155552671", "IT") == "+14155552671"
    assert normalize_phone("3331234567", "IT") == "+393331234567"  # a national number stays national


# --- plain_e164: the key of a conversation already open, found without parsing ------------------------
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@given(st.sampled_from(_REGIONS), st.sampled_from(["+{}", "{}", "whatsapp:+{}", "00{}", " +{} "]))
@settings(max_examples=300, derandomize=True)
def test_plain_e164_names_what_normalize_phone_makes_of_a_plain_number(region: str, written: str) -> None:
    """Whenever the shortcut gives an address, parsing would have given the same one: a message joins the
    conversation it would have joined."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE) \
        or phonenumbers.example_number(region)
    if example is None:
        return
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    raw = written.format(e164[1:])
    assert plain_e164(raw) == normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["+39 333 123 4567", "+0039333123", "0333123456", "abc", "", "+", "٣٩٣٣٣"])
def test_plain_e164_leaves_anything_not_plain_to_the_parser(raw: str) -> None:
    assert plain_e164(raw) is None
