"""Message templates: bodies with numbered variables, `{{1}}`, `{{2}}`, ... as WhatsApp defines them, and
the rules a template must meet before a provider reviews it (Meta's limits)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.errors import Invalid

VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)  # anything in double braces, numbered or not
MAX_VARIABLE = 1024

NAME = re.compile(r"[a-z0-9_]+")
LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")  # en, fil, en_US, pt_BR: Meta's codes
CATEGORIES = ("marketing", "utility", "authentication")
MAX_NAME = 512
MAX_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON = 25


@dataclass(frozen=True)
class TemplateContent:
    """A template as a provider reviews it; built only by `checked_template`."""

    name: str
    language: str
    category: str
    body: str
    header: str = ""
    footer: str = ""
    buttons: tuple[str, ...] = ()


def variable_count(body: str) -> int:
    return max((int(n) for n in VARIABLE.findall(body)), default=0)


def render(body: str, variables: list[str]) -> str:
    """The body as the customer reads it; Invalid unless exactly one value per variable is given."""
    expected = variable_count(body)
    if len(variables) != expected:
        raise Invalid(f"This template takes {expected} variable(s); {len(variables)} given.")
    for value in variables:
        if not value.strip() or len(value) > MAX_VARIABLE or "\n" in value:
            raise Invalid(f"Template variables must be one line of 1 to {MAX_VARIABLE} characters.")
    return VARIABLE.sub(lambda match: variables[int(match.group(1)) - 1], body)


def preview(body: str, values: Sequence[str]) -> str:
    """The body with each variable that has a (non-blank) value filled in; the others stay `{{n}}`."""
    def fill(match: re.Match[str]) -> str:
        number = int(match.group(1))
        value = values[number - 1] if 0 < number <= len(values) else ""
        return value if value and value.strip() else f"{{{{{number}}}}}"

    return VARIABLE.sub(fill, body)


def checked_template(name: Any, language: Any, category: Any, body: Any, header: Any = "", footer: Any = "",
                     buttons: Any = ()) -> TemplateContent:
    """The template's parts, trimmed and checked; Invalid names the first part that is wrong and why."""
    return TemplateContent(checked_name(name), checked_language(language), checked_category(category),
                           checked_body(body), checked_header(header), checked_footer(footer),
                           checked_buttons(buttons))


def checked_name(value: Any) -> str:
    name = _text(value, "name")
    if not name or len(name) > MAX_NAME or not NAME.fullmatch(name):
        raise Invalid(f"name: 1-{MAX_NAME} lowercase letters, digits and underscores (e.g. order_update).")
    return name


def checked_language(value: Any) -> str:
    language = _text(value, "language")
    if not LANGUAGE.fullmatch(language):
        raise Invalid("language: a WhatsApp language code such as en, it or en_US.")
    return language


def checked_category(value: Any) -> str:
    category = _text(value, "category").lower()
    if category not in CATEGORIES:
        raise Invalid(f"category: one of {', '.join(CATEGORIES)}.")
    return category


def checked_body(value: Any) -> str:
    body = _text(value, "body")
    if not body or len(body) > MAX_BODY:
        raise Invalid(f"body: 1-{MAX_BODY} characters.")
    _check_placeholders(body)
    numbers = sorted({int(n) for n in VARIABLE.findall(body)})
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        gap = f"{{{{{missing[0]}}}}} is missing" if missing else "{{0}} is not a variable"
        raise Invalid(f"body: variables are numbered {{{{1}}}}, {{{{2}}}}, ... without gaps ({gap}).")
    return body


def checked_header(value: Any) -> str:
    return _line(value, "header", MAX_HEADER)


def checked_footer(value: Any) -> str:
    return _line(value, "footer", MAX_FOOTER)


def checked_buttons(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_BUTTONS:
        raise Invalid(f"buttons: a list of up to {MAX_BUTTONS} quick-reply texts.")
    buttons = tuple(_line(text, "button", MAX_BUTTON) for text in value)
    if not all(buttons):
        raise Invalid(f"button: 1-{MAX_BUTTON} characters each.")
    if len(set(buttons)) != len(buttons):
        raise Invalid("buttons: each button needs its own text.")
    return buttons


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{what} must be a text.")
    return value.strip()


def _line(value: Any, what: str, limit: int) -> str:
    """Optional plain text of one line: no variables (the desk sends only the body's)."""
    if value is None:
        return ""
    text = _text(value, what)
    if len(text) > limit or "\n" in text:
        raise Invalid(f"{what}: one line of up to {limit} characters.")
    if PLACEHOLDER.search(text):
        raise Invalid(f"{what}: plain text; variables such as {{{{1}}}} belong in the body.")
    return text


def _check_placeholders(body: str) -> None:
    for match in PLACEHOLDER.finditer(body):
        if not VARIABLE.fullmatch(match.group(0)):
            raise Invalid(f"body: {match.group(0)!r} is not a variable; variables are numbered: {{{{1}}}}, {{{{2}}}}.")
