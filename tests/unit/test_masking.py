"""Masking rules (SPEC C8): partial keeps a recognisable hint, full keeps nothing, only agents are masked."""
from __future__ import annotations

from server.domain.masking import UNMASKED, Masking, masking_for


def test_partial_and_full_masking_of_each_kind():
    partial, full = Masking("partial", "partial", "partial"), Masking("full", "full", "full")
    assert partial.of_phone("+393331234567") == "+393•••67" and full.of_phone("+393331234567") == "•••"
    assert partial.of_email("mario.rossi@example.com") == "m•••@example.com" and full.of_email("a@b.c") == "•••"
    assert partial.of_name("Mario De Rossi") == "M••• D••• R•••" and full.of_name("Mario") == "•••"
    assert partial.of_phone("") == "" and full.of_name(None) is None
    assert UNMASKED.of_phone("+393331234567") == "+393331234567"


def test_only_agents_are_masked():
    setting = {"phone": "full", "email": "partial", "name": "none"}
    assert masking_for("agent", setting) == Masking("full", "partial", "none")
    assert masking_for("supervisor", setting) == UNMASKED and masking_for("admin", setting) == UNMASKED


def test_a_number_is_masked_in_text_however_it_is_written():
    full = Masking("full", "none", "none")
    for written in ("+39 333 403-4779", "0039333 4034779", "393334034779", "333 403 4779", "(333) 4034779",
                    "0333.403.4779"):
        assert full.within(f"call me on {written} please", [], ["+393334034779"]) == "call me on ••• please"
    assert full.within("order 13334034779 and 3334034778", [], ["+393334034779"]) == (
        "order 13334034779 and 3334034778")  # other numbers stay


def test_names_and_emails_are_masked_in_text_in_any_case_and_only_as_words():
    full = Masking("none", "full", "full")
    text = "OTTAVIA Lanza (Ottavia.Lanza@Example.com) met Ottaviano"
    assert full.within(text, ["Ottavia Lanza"], [], ["ottavia.lanza@example.com"]) == "••• (•••) met Ottaviano"
    partial = Masking("partial", "partial", "partial")
    assert partial.within("I am Ottavia Lanza, +393334034779", ["Ottavia Lanza"], ["+393334034779"]) == (
        "I am O••• L•••, +393•••79")


def test_nothing_is_masked_for_who_sees_everything():
    assert Masking().within("Ottavia +393334034779", ["Ottavia"], ["+393334034779"]) == "Ottavia +393334034779"
