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
