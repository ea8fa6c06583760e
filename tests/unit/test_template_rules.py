"""What a template must be before a provider reviews it (SPEC T3, Meta's limits), and the live preview."""
from __future__ import annotations

import pytest

from server.domain.templates import (TemplateContent, checked_body, checked_buttons, checked_category,
                                     checked_footer, checked_header, checked_language, checked_name,
                                     checked_template, preview)
from server.errors import Invalid


def refusal(check, value) -> str:
    with pytest.raises(Invalid) as raised:
        check(value)
    return raised.value.message


def test_a_complete_template_is_trimmed_and_kept() -> None:
    content = checked_template(" order_update ", "en_US", "UTILITY", " Hi {{1}}, order {{2}} shipped. ",
                               " Your order ", " Reply STOP to opt out ", [" Track ", "Thanks"])
    assert content == TemplateContent("order_update", "en_US", "utility", "Hi {{1}}, order {{2}} shipped.",
                                      "Your order", "Reply STOP to opt out", ("Track", "Thanks"))


def test_header_footer_and_buttons_are_optional() -> None:
    content = checked_template("plain", "it", "marketing", "Ciao!", None, None, None)
    assert (content.header, content.footer, content.buttons) == ("", "", ())


@pytest.mark.parametrize("name", ["order_update", "a", "x1_2", "n" * 512])
def test_names_meta_accepts(name: str) -> None:
    assert checked_name(name) == name


@pytest.mark.parametrize("name", ["Order", "order-update", "order update", "", "  ", "n" * 513, "ordér"])
def test_names_meta_refuses_are_explained(name: str) -> None:
    assert "1-512 lowercase letters, digits and underscores" in refusal(checked_name, name)


@pytest.mark.parametrize("name", [5, None, ["order"]])
def test_a_name_is_a_text(name) -> None:
    assert refusal(checked_name, name) == "name must be a text."


@pytest.mark.parametrize("code", ["en", "it", "en_US", "pt_BR", "fil", "zh_HK"])
def test_language_codes_meta_uses(code: str) -> None:
    assert checked_language(code) == code


@pytest.mark.parametrize("code", ["EN", "en-US", "en_us", "english", "", "e", "en_USA"])
def test_other_language_codes_are_refused(code: str) -> None:
    assert "language code" in refusal(checked_language, code)


def test_categories_are_metas_three() -> None:
    assert [checked_category(c) for c in ("marketing", "Utility", "AUTHENTICATION")] == [
        "marketing", "utility", "authentication"]
    assert "marketing, utility, authentication" in refusal(checked_category, "transactional")


def test_the_body_is_1_to_1024_characters() -> None:
    assert checked_body("x" * 1024) == "x" * 1024
    assert "1-1024" in refusal(checked_body, "x" * 1025)
    assert "1-1024" in refusal(checked_body, "   ")


def test_variables_are_numbered_from_1_without_gaps() -> None:
    assert checked_body("{{2}} then {{1}}, again {{1}}") == "{{2}} then {{1}}, again {{1}}"
    assert "{{2}} is missing" in refusal(checked_body, "Hi {{1}}, see {{3}}")
    assert "{{1}} is missing" in refusal(checked_body, "Hi {{2}}")
    assert "{{0}} is not a variable" in refusal(checked_body, "Hi {{0}}")


def test_named_or_malformed_placeholders_are_refused() -> None:
    assert "'{{name}}' is not a variable" in refusal(checked_body, "Hi {{name}}")
    assert "is not a variable" in refusal(checked_body, "Hi {{1a}}")


def test_header_and_footer_are_one_plain_line_of_60() -> None:
    assert checked_header("h" * 60) == "h" * 60
    assert checked_footer("f" * 60) == "f" * 60
    assert "up to 60" in refusal(checked_header, "h" * 61)
    assert "up to 60" in refusal(checked_footer, "two\nlines")
    assert "belong in the body" in refusal(checked_header, "Order {{1}}")
    assert "must be a text" in refusal(checked_footer, 7)


def test_up_to_three_distinct_quick_replies_of_25() -> None:
    assert checked_buttons(["Yes", "No", "b" * 25]) == ("Yes", "No", "b" * 25)
    assert "up to 3" in refusal(checked_buttons, ["a", "b", "c", "d"])
    assert "up to 25" in refusal(checked_buttons, ["b" * 26])
    assert "1-25" in refusal(checked_buttons, ["Yes", " "])
    assert "its own text" in refusal(checked_buttons, ["Yes", "Yes"])
    assert "list" in refusal(checked_buttons, "Yes")


def test_preview_fills_the_variables_it_has_values_for() -> None:
    body = "Hi {{1}}, your order {{2}} ships {{ 3 }}."
    assert preview(body, ["Ann", "A-1", "today"]) == "Hi Ann, your order A-1 ships today."
    assert preview(body, ["Ann"]) == "Hi Ann, your order {{2}} ships {{3}}."
    assert preview(body, ["", "A-1", "  "]) == "Hi {{1}}, your order A-1 ships {{3}}."
    assert preview(body, []) == "Hi {{1}}, your order {{2}} ships {{3}}."
    assert preview("No variables", ["unused"]) == "No variables"
