"""Quick search of the interactions list (SPEC L2): message text through the full-text index (words,
prefixes), user input that looks like index syntax, phone numbers in any format, and visibility."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import Desk, new_phone


def _ids(desk: Desk, username: str = "supervisor", **params: Any) -> list[int]:
    r = desk[username].get("/interactions", params=params)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def _word() -> str:
    return "zq" + uuid.uuid4().hex[:10]


def test_a_word_of_a_message_finds_its_interaction_also_by_prefix(desk: Desk) -> None:
    desk.online("agent1")
    word, other = _word(), _word()
    found = desk.open_for("agent1", text=f"Hello, my parcel {word} never arrived.")
    elsewhere = desk.open_for("agent1", text=f"nothing to see {other}")
    try:
        assert _ids(desk, q=word) == [found]
        assert _ids(desk, q=word.upper()) == [found]
        assert _ids(desk, q=word[:8]) == [found]  # a prefix of the word
        assert _ids(desk, q=f"parcel {word}") == [found]  # every word must match
        assert _ids(desk, q=f"{word} {other}") == []
        assert _ids(desk, q=f"{word}x") == []
        assert _ids(desk, q=word[2:]) == []  # words match from their start, not in the middle
        assert _ids(desk, "agent1", q=word) == [found]
    finally:
        desk.close("agent1", found)
        desk.close("agent1", elsewhere)


@pytest.mark.parametrize("noise", ['"', '""', '*', '-', 'AND', 'OR', 'NOT', 'NEAR(', 'NEAR(a b', ')', '^',
                                   ':', 'text:', '{text}', "'", '\\', '%', '_', '"*', '-"', '+', 'a"b'])
def test_index_syntax_in_the_query_neither_fails_nor_widens(desk: Desk, noise: str) -> None:
    desk.online("agent1")
    word = _word()
    found = desk.open_for("agent1", text=f"order {word} AND NEAR refund")
    try:
        assert _ids(desk, q=f"{word} {noise}") in ([found], [])  # never an error, never someone else
        assert _ids(desk, q=f"{noise}{word}{noise}") in ([found], [])
        assert _ids(desk, q=f"{noise} {word}") in ([found], [])
        r = desk.sup.get("/interactions", params={"q": noise})
        assert r.status_code == 200, r.text
        assert _ids(desk, q=f'"{word}"') == [found]
        assert _ids(desk, q=f"-{word}") == [found]  # not a NOT: the word itself
        assert _ids(desk, q=f"{word}*") == [found]
        assert _ids(desk, q=f"NOT {word}") == []  # "not" is a word that the message lacks
        assert _ids(desk, q=f"{word} OR zzzznothing") == []  # OR is a word too, not an operator
    finally:
        desk.close("agent1", found)


def test_a_phone_number_in_three_formats_finds_the_interaction(desk: Desk) -> None:
    desk.online("agent1")
    phone = new_phone()  # +39333NNNNNNN
    found = desk.open_for("agent1", phone=phone, name="Nobody Special")
    local = phone[3:]
    try:
        for query in (phone, f"+39 {local[:3]} {local[3:6]} {local[6:]}", f"0039{local}", local,
                      f"{local[:3]}-{local[3:6]}-{local[6:]}"):
            assert _ids(desk, q=query) == [found], query
    finally:
        desk.close("agent1", found)


def test_an_agent_never_finds_another_agents_interaction(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    word, phone = _word(), new_phone()
    theirs = desk.open_for("agent2", phone=phone, text=f"secret {word}", name=f"Private {word}")
    try:
        for query in (word, word[:6], phone, phone[3:], f"Private {word}"):
            assert _ids(desk, "agent1", q=query) == [], query
            assert theirs in _ids(desk, "agent2", q=query), query
        assert _ids(desk, "agent1", q=word, agent="agent2") == []
    finally:
        desk.close("agent2", theirs)


def test_notes_are_not_searched(desk: Desk) -> None:
    desk.online("agent1")
    word = _word()
    noted = desk.open_for("agent1")
    try:
        assert desk["agent1"].post(f"/interactions/{noted}/notes", json={"text": f"internal {word}"}).status_code == 201
        assert _ids(desk, q=word) == []
        assert _ids(desk, "agent1", q=word) == []
    finally:
        desk.close("agent1", noted)


def test_advanced_search_needs_every_field_given(desk: Desk) -> None:
    phone = new_phone()
    interaction_id = desk.inbound(phone, "the blue sofa arrived scratched", name="Teresa Longo")
    def found(**params: str) -> list[int]:
        r = desk.sup.get("/interactions", params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert interaction_id in found(message="sofa scratched", name="teresa")
    assert interaction_id in found(phone=phone.replace("+", "00"), message="blue")
    assert interaction_id not in found(message="sofa", name="someone else")
    assert interaction_id not in found(message="sofa", phone="not a number")
    assert found(name="Teresa", phone="12") == []  # too few digits to be a number: nothing matches
    desk.drain()


def test_short_prefixes_whole_words_and_one_letter_words(desk: Desk) -> None:
    """Each way a word is looked up: 2-4 letters through the prefix index, longer ones as the indexed words
    they begin, one letter as that word only."""
    desk.online("agent1")
    word = _word()
    found = desk.open_for("agent1", text=f"x {word} Übergabe")
    try:
        assert found in _ids(desk, q=word[:3])  # a short prefix (other tests' words may share it)
        assert _ids(desk, q=word[:4] + " " + word) == [found]
        assert _ids(desk, q=f"{word} uberg") == [found]  # folded like the index: no diacritics
        assert _ids(desk, q=f"{word} x") == [found]  # "x" is a word of the message
        assert _ids(desk, q=f"{word} y") == []
    finally:
        desk.close("agent1", found)
