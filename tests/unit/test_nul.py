"""NUL characters: what a person sends with one is refused by the rule of its field, whichever door it came
through (the REST API refuses them at its door too; pages reach the services directly)."""
from __future__ import annotations

import pytest

from server.domain.contact_fields import FieldSpec, checked_standard, checked_values
from server.errors import Invalid


@pytest.mark.parametrize("field", ["first_name", "last_name", "company", "notes"])
def test_a_contacts_standard_text_with_a_nul_is_refused(field: str) -> None:
    with pytest.raises(Invalid, match=f"{field} cannot hold a NUL character"):
        checked_standard({field: "ab\x00cd"})
    assert checked_standard({field: "abcd"}) == {field: "abcd"}


def test_a_custom_text_value_with_a_nul_is_refused() -> None:
    spec = FieldSpec("tier", "Tier", "text", ())
    with pytest.raises(Invalid, match="Tier cannot hold a NUL character"):
        checked_values({"tier": spec}, {"tier": "gold\x00"}, {})
