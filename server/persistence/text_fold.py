"""Message search on PostgreSQL folds Latin letters with diacritics to their base letters, as SQLite's FTS5
index does (`remove_diacritics`), without an extension: PostgreSQL's immutable translate() with this table,
in the GIN index's expression and in every query that uses it. Fixed: the index is built from it."""
from __future__ import annotations

import unicodedata


def _table() -> tuple[str, str]:
    source, target = [], []
    for code in range(0xC0, 0x250):  # Latin-1 Supplement, Latin Extended-A and -B
        letter = chr(code)
        base = unicodedata.normalize("NFD", letter)[0]
        if base != letter and base.isascii() and base.isalpha():
            source.append(letter)
            target.append(base)
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _table()
FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def text_vector(column: str) -> str:
    """The indexed expression over a text column (the index is on messages.text)."""
    return f"to_tsvector('simple', translate({column}, '{FOLD_FROM}', '{FOLD_TO}'))"


def folded(word: str) -> str:
    return word.translate(FOLD)
