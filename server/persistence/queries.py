"""Named reads that services need. Everything that pages and endpoints show comes through here."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from tortoise import Tortoise
from tortoise.expressions import Q, RawSQL

from server.domain.masking import UNMASKED, Masking
from server.domain.phone import USER_ID
from server.persistence.db import dialect_sql
from server.persistence.keys import by_name_or_id
from server.persistence.models import (Account, Attachment, CannedAnswer, Disposition, Interaction, Message, Queue,
                                       Template, User)
from server.persistence.text_fold import folded, text_vector

INTERACTION_FIELDS = ("id", "status", "owner__username", "first_agent__username", "queue__name", "account__key",
                      "account__provider", "customer_phone", "customer_name", "contact_id", "created_at",
                      "accepted_at", "closed_at", "disposition_id", "disposition__name", "read_marker",
                      "returned_unread", "contact__first_name", "contact__last_name", "contact__email",
                      "last_inbound_at", "account__window_hours", "contact__list_id")


async def raw(sql: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
    connection = Tortoise.get_connection("default")
    return await connection.execute_query_dict(dialect_sql(connection, sql), values or [])


async def interaction_rows(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await Interaction.filter(id__in=ids).values(*INTERACTION_FIELDS)
    return {row["id"]: row for row in rows}


# A message `m` of interaction `i` that is unread while past its read marker: the customer's, or a
# supervisor's note for the owner (a note for anyone else, or an agent's own note, is not).
UNREAD_MESSAGE = ("(m.direction = 'in' OR (m.direction = 'note' AND m.recipient = "
                  "(SELECT u.username FROM users u WHERE u.id = i.owner_id)))")


async def unread_counts(ids: list[int]) -> dict[int, int]:
    """Unread messages (UNREAD_MESSAGE) after the read marker, or at least 1 when a transfer came back
    unread."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await raw(
        "SELECT i.id AS id, i.returned_unread AS returned, "
        f"(SELECT COUNT(*) FROM messages m WHERE m.interaction_id = i.id AND {UNREAD_MESSAGE} "
        " AND m.id > i.read_marker) AS n "
        f"FROM interactions i WHERE i.id IN ({marks})", list(ids))
    return {r["id"]: max(r["n"], 1 if r["returned"] else 0) for r in rows}


@dataclass(frozen=True)
class InteractionFilter:
    status: str | None = None
    unread: bool | None = None
    account: str | None = None
    agent: str | None = None
    tags: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None  # quick search: name, phone or message text
    name: str | None = None  # advanced search: each given field must match
    phone: str | None = None
    message: str | None = None
    owner: str | None = None  # only the interactions this user owns now
    participant: int | None = None  # visibility: an agent (user id) sees what they took part in (participations)
    masking: Masking = UNMASKED  # the viewer's: a field masked for them matches only whole
    text_e164: str | None = None  # the quick search read as a whole number, if it is one
    phone_e164: str | None = None  # `phone` read as a whole number, if it is one
    page: int = 1
    page_size: int = 25


_WORD = re.compile(r"[^\W_]+")
_PHONE_LIKE = re.compile(r"[\d\s+().\-/]+")


def search_words(text: str, limit: int = 8) -> list[str]:
    """The user's words, lower-cased, as the full-text index splits text (letters and digits only).

    Everything else (quotes, `*`, `-`, parentheses, `:`) separates words, so nothing a user types
    reaches the index as an operator; AND / OR / NOT / NEAR become plain words once quoted."""
    return [w.lower() for w in _WORD.findall(text)][:limit]


def tsquery(words: list[str], masking: Masking = UNMASKED) -> str:
    """The PostgreSQL to_tsquery equivalent: prefix terms (whole ones where `whole_word`), folded like the
    index, joined with &."""
    return " & ".join(folded(w).replace("'", "") + ("" if whole_word(w, masking) else ":*") for w in words)


def whole_word(word: str, masking: Masking) -> bool:
    """Whether a searched word must match a message's word whole: one that could be part of a number
    (digits) or of a name or email masked for the viewer, so that no prefix probes a masked value."""
    if any(c.isdigit() for c in word):
        return masking.phone != "none"
    return masking.name != "none" or masking.email != "none"


def phone_digits(text: str) -> list[str]:
    """What to look for in an E.164 number when the query looks like a phone number (at least 3 digits,
    only digits, spaces, + and separators): "+39 333 123 4567" and "0039 333..." give 39333...; a national
    number with its trunk 0 ("0333...") is also tried without it."""
    if not _PHONE_LIKE.fullmatch(text):
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3:
        return []
    if digits.startswith("00"):
        return [digits[2:]]
    if digits.startswith("0"):
        return [digits, digits[1:]]
    return [digits]


# A word in very many messages (a greeting) is looked for in the newest this many: a page stays fast, and
# the conversations it lists are the recent ones the agent is after.
TEXT_HITS = 5_000
PREFIX_WORDS = 64


def _quick_search(f: InteractionFilter, fts: str | None, dialect: str) -> tuple[str, list[Any]]:
    """Contact name (substring), phone in any format (digits), and customer-visible message text (the
    full-text index, prefix per word), any of them; a field masked for the viewer only whole. Notes are not
    searched: they are internal (SPEC L4), and an agent's list would otherwise reveal what a supervisor noted."""
    text = f.text or ""
    found = [_name_clause(text, f.masking), _phone_clause(text, f.text_e164, f.masking), _user_id_clause(text),
             _message_clause(text, fts, dialect, f.masking)]
    parts = [clause for clause in found if clause]
    return "(" + " OR ".join(c for c, _ in parts) + ")", [v for _, more in parts for v in more]


def _name_clause(text: str, masking: Masking) -> tuple[str, list[Any]]:
    if masking.name != "none":  # the whole name, case and spacing aside
        return "LOWER(TRIM(i.customer_name)) = ?", [" ".join(text.lower().split())]
    pattern = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "LOWER(i.customer_name) LIKE ? ESCAPE '\\'", [f"%{pattern}%"]


def _phone_clause(text: str, e164: str | None, masking: Masking) -> tuple[str, list[Any]] | None:
    """Digits anywhere in the number; for a viewer the number is masked for, the whole number only (`e164`,
    `text` read with the workspace's region)."""
    if masking.phone != "none":
        return ("i.customer_phone = ?", [e164]) if e164 else None
    digits = phone_digits(text)
    if not digits:
        return None
    return "(" + " OR ".join("i.customer_phone LIKE ?" for _ in digits) + ")", [f"%{d}%" for d in digits]


def _user_id_clause(text: str) -> tuple[str, list[Any]] | None:
    """A customer known only by their business-scoped user id is found by it, whole."""
    return ("i.customer_phone = ?", [text.strip()]) if USER_ID.fullmatch(text.strip()) else None


def _message_clause(text: str, fts: str | None, dialect: str, masking: Masking) -> tuple[str, list[Any]] | None:
    """`fts`: the SQLite index expression for `text`'s words (None: no indexed word has those prefixes)."""
    words = search_words(text)
    if not words:
        return None
    if dialect == "postgres":
        return (f"i.id IN (SELECT m.interaction_id FROM messages m WHERE {text_vector('m.text')} @@ "
                f"to_tsquery('simple', ?) AND m.direction != 'note' ORDER BY m.id DESC LIMIT {TEXT_HITS})",
                [tsquery(words, masking)])
    if fts is None:
        return None
    return ("i.id IN (SELECT m.interaction_id FROM (SELECT rowid FROM messages_fts WHERE messages_fts "
            f"MATCH ? ORDER BY rowid DESC LIMIT {TEXT_HITS}) f JOIN messages m ON m.id = f.rowid "
            "WHERE m.direction != 'note')", [fts])


async def _fts_expression(text: str | None, masking: Masking = UNMASKED) -> str | None:
    """The index expression for the words of `text`, each matching the indexed words it begins, written so
    that the index walks its newest hits lazily instead of reading every hit first (a word in most of a
    million messages: 1.5 ms against 35 ms):
    - 2 to 4 letters: a prefix query, which the index's prefix index answers lazily (one letter: that word);
    - a word that is itself indexed with at least TEXT_HITS hits: that word (its newest hits are the page);
    - otherwise its prefix spelled out as the indexed words that have it ("parcel" OR "parcels"), read from
      the index's vocabulary (which counts each word's hits, cheap for words that are not that common);
    - a word that must match whole (`whole_word`): that word.
    None when some word begins no indexed word."""
    groups = []
    for word in search_words(text or ""):
        folded = fold(word)
        quoted = '"' + folded.replace('"', '""') + '"'
        if whole_word(word, masking):
            groups.append(quoted)
            continue
        if len(folded) <= 4:  # one letter: that word only (a prefix of one letter would read everything)
            groups.append(quoted + "*" if len(folded) > 1 else quoted)
            continue
        hits = await raw(f"SELECT COUNT(*) AS n FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
                         f"ORDER BY rowid DESC LIMIT {TEXT_HITS})", [quoted])
        if hits[0]["n"] >= TEXT_HITS:
            groups.append(quoted)
            continue
        terms = [r["term"] for r in await raw(
            "SELECT term FROM messages_fts_vocab WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
            [folded, folded + "\U0010ffff", PREFIX_WORDS + 1])]
        if not terms:
            return None
        groups.append(fts_group(folded, terms))
    return " AND ".join(groups) or None


def fts_group(prefix: str, terms: list[str]) -> str:
    """The words having `prefix` as quoted terms, any of them; past PREFIX_WORDS, the quoted prefix itself."""
    if len(terms) > PREFIX_WORDS:
        return '"' + prefix.replace('"', '""') + '"*'
    return "(" + " OR ".join('"' + term.replace('"', '""') + '"' for term in terms) + ")"


def fold(word: str) -> str:
    """A word as the index's tokenizer keeps it: lower case, without diacritics."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _advanced_search(f: InteractionFilter, fts: str | None, dialect: str) -> tuple[list[str], list[Any]]:
    """Each field given narrows the list (all must match): name, phone, message text."""
    clauses: list[str] = []
    values: list[Any] = []
    if f.name:
        clause, more = _name_clause(f.name, f.masking)
        clauses.append(clause)
        values += more
    if f.phone:
        found = _phone_clause(f.phone, f.phone_e164, f.masking)
        clauses.append(found[0] if found else "1 = 0")  # not a number: nothing matches
        values += found[1] if found else []
    if f.message:
        found = _message_clause(f.message, fts, dialect, f.masking)
        clauses.append(found[0] if found else "1 = 0")
        values += found[1] if found else []
    return clauses, values


async def list_interactions(f: InteractionFilter) -> tuple[list[dict[str, Any]], int]:
    where = ["1=1"]
    values: list[Any] = []
    if f.status:
        where.append("i.status = ?")
        values.append(f.status)
    if f.owner is not None:
        where.append("i.owner_id = (SELECT id FROM users WHERE username = ?)")
        values.append(f.owner)
    if f.participant is not None:  # uncorrelated: the agent's rows by index, not a probe per interaction
        where.append("i.id IN (SELECT p.interaction_id FROM participations p WHERE p.user_id = ?)")
        values.append(f.participant)
    if f.account:
        where.append("i.account_id IN (SELECT id FROM accounts WHERE key = ? OR CAST(id AS TEXT) = ?)")
        values += [f.account, f.account]
    if f.agent:
        where.append("i.first_agent_id IN (SELECT id FROM users WHERE username = ? OR CAST(id AS TEXT) = ?)")
        values += [f.agent, f.agent]
    for tag in f.tags:  # uncorrelated: one index lookup per tag, not a probe per interaction
        where.append("i.id IN (SELECT it.interactions_id FROM interaction_tags it JOIN tags t ON t.id = it.tag_id "
                     "WHERE t.name = ?)")
        values.append(tag)
    if f.created_from:
        where.append("i.created_at >= ?")
        values.append(f.created_from)
    if f.created_to:
        where.append("i.created_at < ?")
        values.append(f.created_to)
    if f.unread is not None:
        unread = ("(i.status = 'open' AND (i.returned_unread OR EXISTS (SELECT 1 FROM messages m "
                  f"WHERE m.interaction_id = i.id AND {UNREAD_MESSAGE} AND m.id > i.read_marker)))")
        if f.participant is not None:  # unread only for its owner: what an agent left is read for them
            unread = f"(i.owner_id = {int(f.participant)} AND {unread})"
        where.append(unread if f.unread else f"NOT {unread}")
    dialect = Tortoise.get_connection("default").capabilities.dialect
    sqlite = dialect == "sqlite"
    if f.text:
        clause, more = _quick_search(f, await _fts_expression(f.text, f.masking) if sqlite else None, dialect)
        where.append(clause)
        values += more
    advanced, more = _advanced_search(f, await _fts_expression(f.message, f.masking) if sqlite else None,
                                      dialect)
    where += advanced
    values += more
    clause = " AND ".join(where)
    offset = (f.page - 1) * f.page_size
    page = f"ORDER BY i.created_at DESC, i.id DESC LIMIT {int(f.page_size)} OFFSET {int(offset)}"
    if f.text or f.name or f.phone or f.message:  # a search's matches: gathered once for the page and its count
        found = await raw(f"SELECT i.id AS id, COUNT(*) OVER () AS n FROM interactions i WHERE {clause} {page}",
                          values)
        ids = [r["id"] for r in found]
        if found or offset == 0:
            total = found[0]["n"] if found else 0
            rows = await interaction_rows(ids)
            return [rows[i] for i in ids if i in rows], total
    total = (await raw(f"SELECT COUNT(*) AS n FROM interactions i WHERE {clause}", values))[0]["n"]
    ids = [r["id"] for r in await raw(f"SELECT i.id AS id FROM interactions i WHERE {clause} {page}",
                                      values)] if total > offset else []
    rows = await interaction_rows(ids)
    return [rows[i] for i in ids if i in rows], total


async def interaction_tags(ids: list[int]) -> dict[int, list[str]]:
    """Each interaction's tag names, sorted."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    found: dict[int, list[str]] = {}
    for r in await raw("SELECT it.interactions_id AS iid, t.name AS name FROM interaction_tags it "
                       f"JOIN tags t ON t.id = it.tag_id WHERE it.interactions_id IN ({marks}) ORDER BY t.name",
                       list(ids)):
        found.setdefault(r["iid"], []).append(r["name"])
    return found


async def last_messages(ids: list[int], until: dict[int, datetime] | None = None) -> dict[int, dict[str, Any]]:
    """The latest customer-visible message of each interaction (for lists); for those in `until`, the latest
    stored by then (what an agent who left it saw last)."""
    until = until or {}
    latest = [i for i in ids if i not in until]
    parts: list[str] = []
    values: list[Any] = []
    if latest:
        parts.append(f"SELECT MAX(id) FROM messages WHERE interaction_id IN ({','.join('?' * len(latest))}) "
                     "AND direction != 'note' GROUP BY interaction_id")
        values += latest
    for interaction_id in (i for i in ids if i in until):
        parts.append("SELECT MAX(id) FROM messages WHERE interaction_id = ? AND direction != 'note' "
                     "AND created_at <= ?")
        values += [interaction_id, until[interaction_id]]
    if not parts:
        return {}
    rows = await raw("SELECT m.interaction_id AS iid, m.direction AS direction, m.text AS text FROM messages m "
                     f"WHERE m.id IN ({' UNION ALL '.join(parts)})", values)
    return {r["iid"]: {"direction": r["direction"], "text": r["text"]} for r in rows}


MESSAGE_FIELDS = ("id", "interaction_id", "direction", "kind", "text", "status", "sender", "error", "created_at",
                  "sent_at", "recipient", "payload", "reaction", "edits", "revoked_at", "interaction__customer_name",
                  "interaction__customer_phone", "interaction__contact__first_name",
                  "interaction__contact__last_name", "interaction__contact__email")


def _in_chat_order(query: Any) -> Any:
    """A chat reads in the order its messages were written: an inbound one at the customer's time (a late
    redelivery lands in its place), ours when we stored them; equal times by id."""
    # Written out: tortoise's Coalesce takes its fallback as a literal, and an unqualified column is
    # ambiguous beside the joined interaction's own created_at.
    return query.annotate(at=RawSQL('COALESCE("messages"."sent_at", "messages"."created_at")'))


async def messages_of(interaction_id: int, *, before: int | None = None, limit: int = 100,
                      include_notes: bool = True, agent: str | None = None,
                      until: datetime | None = None) -> list[dict[str, Any]]:
    """Newest `limit` messages before the message `before` (in chat order), oldest first. For an `agent`,
    supervisors' notes meant for another agent are left out; `until`: only those stored by then."""
    query = _in_chat_order(Message.filter(interaction_id=interaction_id))
    if until is not None:
        query = query.filter(created_at__lte=until)
    if before is not None:
        cursor = await _in_chat_order(Message.filter(id=before, interaction_id=interaction_id)).first().values(
            "at")
        query = query.filter(Q(at__lt=cursor["at"]) | Q(at=cursor["at"], id__lt=before)) if cursor \
            else query.filter(id__lt=before)
    if not include_notes:
        query = query.filter(~Q(direction="note"))
    if agent is not None:
        query = query.filter(Q(recipient__isnull=True) | Q(recipient=agent))
    rows = await query.order_by("-at", "-id").limit(limit).values(*MESSAGE_FIELDS)
    await _with_attachments(rows)
    return list(reversed(rows))


async def message_of(interaction_id: int, message_id: int, until: datetime | None = None) -> dict[str, Any] | None:
    """One message of the interaction, as `messages_of` gives it (`until`: if it was stored by then)."""
    query = Message.filter(id=message_id, interaction_id=interaction_id)
    if until is not None:
        query = query.filter(created_at__lte=until)
    rows = await query.values(*MESSAGE_FIELDS)
    await _with_attachments(rows)
    return rows[0] if rows else None


async def _with_attachments(rows: list[dict[str, Any]]) -> None:
    files = {a["message_id"]: a for a in await Attachment.filter(message_id__in=[r["id"] for r in rows]).values(
        "message_id", "content_type", "filename", "size", "state", "error")} if rows else {}
    for row in rows:
        row["attachment"] = files.get(row["id"])


async def find_user(ref: str | int) -> User | None:
    return await by_name_or_id(User, ref, "username")


async def find_queue(ref: str | int) -> Queue | None:
    return await by_name_or_id(Queue, ref)


async def find_account(ref: str | int) -> Account | None:
    return await by_name_or_id(Account, ref, "key")


async def find_disposition(ref: str | int) -> Disposition | None:
    return await by_name_or_id(Disposition, ref)


async def queue_names_of(username: str) -> list[str]:
    return sorted(cast(list[str], await Queue.filter(members__user__username=username).values_list("name", flat=True)))


async def find_template(ref: str | int) -> Template | None:
    return await by_name_or_id(Template, ref)


async def canned_answers(search: str = "") -> list[dict[str, Any]]:
    query = CannedAnswer.all()
    if search.strip():
        query = query.filter(Q(name__icontains=search.strip()) | Q(body__icontains=search.strip()))
    return list(await query.order_by("name").limit(50).values("id", "name", "body"))


async def unmanaged_counts(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """For the conversations of these rows: how many of their interactions no agent has taken yet (R9). Only
    those the customer wrote in count (a campaign's message lives in an interaction nobody was to take)."""
    phones = sorted({row["customer_phone"] for row in rows})
    if not phones:
        return {}
    marks = ",".join("?" * len(phones))
    found = await raw(
        "SELECT a.key AS account, i.customer_phone AS phone, COUNT(*) AS n FROM interactions i "
        f"JOIN accounts a ON a.id = i.account_id WHERE i.first_agent_id IS NULL AND i.last_inbound_at IS NOT NULL "
        f"AND i.customer_phone IN ({marks}) "
        "GROUP BY a.key, i.customer_phone", phones)
    return {(r["account"], r["phone"]): r["n"] for r in found}
