"""Contact fields (SPEC C2): standard fields and custom fields per list, checked by their kind."""
from __future__ import annotations

import pytest

from server.domain.contact_fields import (FieldSpec, checked_definition, checked_standard, checked_values,
                                          search_columns, split_name)
from server.errors import Invalid

SPECS = {"tier": FieldSpec("tier", "Tier", "choice", ("gold", "silver")), "visits": FieldSpec("visits", "", "number"),
         "birthday": FieldSpec("birthday", "Birthday", "date"), "note": FieldSpec("note", "", "text")}


def refused(call, *args) -> str:
    with pytest.raises(Invalid) as error:
        call(*args)
    return error.value.message


def test_values_are_coerced_by_kind():
    values = checked_values(SPECS, {"tier": "gold", "visits": "12", "birthday": "1980-02-03", "note": " hi "}, {})
    assert values == {"tier": "gold", "visits": 12, "birthday": "1980-02-03", "note": "hi"}
    assert checked_values(SPECS, {"visits": "2,5"}, {})["visits"] == 2.5
    assert checked_values(SPECS, {"visits": 7}, {})["visits"] == 7


def test_an_empty_value_clears_the_field_and_others_stay():
    assert checked_values(SPECS, {"tier": "", "visits": None}, {"tier": "gold", "visits": 3, "note": "x"}) == {
        "note": "x"}


@pytest.mark.parametrize(("given", "said"), [
    ({"tier": "bronze"}, "Tier takes one of: gold, silver."),
    ({"visits": "many"}, "visits takes a number."),
    ({"visits": True}, "visits takes a number."),
    ({"visits": "nan"}, "visits takes a finite number."),
    ({"birthday": "03/02/1980"}, "Birthday takes a date as YYYY-MM-DD."),
    ({"note": 5}, "note takes text."),
    ({"note": "x" * 1001}, "note is limited to 1000 characters."),
    ({"colour": "red"}, "This list has no custom field 'colour'."),
])
def test_a_bad_value_is_refused_naming_the_field(given, said):
    assert refused(checked_values, SPECS, given, {}) == said


def test_values_must_come_as_an_object():
    assert "object" in refused(checked_values, SPECS, ["tier"], {})


def test_a_definition_is_checked():
    assert checked_definition("tier", "Tier", "choice", ["gold", " silver ", "gold"]) == FieldSpec(
        "tier", "Tier", "choice", ("gold", "silver"))
    assert checked_definition("visits", None, "number", None).kind == "number"
    assert "lowercase" in refused(checked_definition, "Tier", "", "text", None)
    assert "standard" in refused(checked_definition, "email", "", "text", None)
    assert "kind" in refused(checked_definition, "x", "", "colour", None)
    assert "choices" in refused(checked_definition, "x", "", "choice", [])
    assert "choices only" in refused(checked_definition, "x", "", "text", ["a"])


def test_standard_fields_are_trimmed_and_the_email_checked():
    assert checked_standard({"first_name": " Ada ", "email": "ada@example.com", "other": 1}) == {
        "first_name": "Ada", "email": "ada@example.com"}
    assert checked_standard({"email": None}) == {"email": ""}
    assert "valid email" in refused(checked_standard, {"email": "ada@"})
    assert "at most 128" in refused(checked_standard, {"last_name": "x" * 129})
    assert "text" in refused(checked_standard, {"company": 3})


def test_search_columns_are_lower_case_copies():
    assert search_columns("Ada", "LOVELACE", "Ada@Example.COM") == {"search_name": "ada lovelace",
                                                                    "search_email": "ada@example.com"}
    assert search_columns("", "Ruiz", "") == {"search_name": "ruiz", "search_email": ""}


@pytest.mark.parametrize(("full", "parts"), [
    ("Maria del Carmen Ruiz", ("Maria del Carmen", "Ruiz")), ("Ada", ("Ada", "")), ("  ", ("", "")),
    ("Ada  Lovelace", ("Ada", "Lovelace")),
])
def test_a_profile_name_splits_into_first_and_last(full, parts):
    assert split_name(full) == parts


def test_tags_show_in_their_colors_and_all_grey_when_many():
    from server.domain.tags import GREY, shown_colors
    few = [("VIP", "#d32f2f"), ("Sales", "#388e3c"), ("Support", "#1976d2")]
    assert shown_colors(few) == {"VIP": "#d32f2f", "Sales": "#388e3c", "Support": "#1976d2"}
    assert set(shown_colors([*few, ("Complaint", "#f57c00")]).values()) == {GREY}
