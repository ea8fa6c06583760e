"""The full-text index of message text (migration 0004) follows every write: the writer's raw inbound
inserts, ORM creates, edits and deletes (also the cascade from a deleted interaction); and the query
helpers never hand user input to the index as an expression."""
from __future__ import annotations

import asyncio

from tortoise import Tortoise

from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Interaction, Message, Queue
from server.persistence.queries import (PREFIX_WORDS, InteractionFilter, fold, fts_group, list_interactions,
                                        phone_digits, search_words)
from server.persistence.writer import Writer, WriterContext
from server.persistence.writes import StoreAgentMessage, StoreInbound


async def _matches(word: str) -> set[int]:
    rows = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH ?", ['"' + word + '"*'])
    return {r["id"] for r in rows}


async def _scenario(url: str) -> None:
    await open_database(url)
    try:
        queue = await Queue.create(name="Search")
        account = await Account.create(key="sandbox-search", provider="sandbox", queue=queue)
        writer = Writer(WriterContext({}, 1))
        writer.start()
        try:
            first = await writer.submit(StoreInbound(account.id, queue.id, "m1", "+393331112222", "Ada",
                                                     "my parcel zebrafish arrived broken"))
            other = await writer.submit(StoreInbound(account.id, queue.id, "m2", "+393331113333", "Bob",
                                                     "invoice quokka please"))
            reply = await writer.submit(StoreAgentMessage(first.interaction_id, "out", "sending a walrus",
                                                          "agent1", "queued"))
        finally:
            await writer.stop()
        assert await _matches("zebrafish") == {first.message_id}
        assert await _matches("zebra") == {first.message_id}  # prefix
        assert await _matches("walrus") == {reply}
        assert await _matches("quokka") == {other.message_id}

        await Message.filter(id=first.message_id).update(text="all fine now, narwhal")
        assert await _matches("zebrafish") == set()
        assert await _matches("narwhal") == {first.message_id}

        await Message.filter(id=reply).delete()
        assert await _matches("walrus") == set()

        found, total = await list_interactions(InteractionFilter(text="narwhal"))
        assert total == 1 and [r["id"] for r in found] == [first.interaction_id]

        await Interaction.filter(id=first.interaction_id).delete()  # messages go with it (ON DELETE CASCADE)
        assert await Message.filter(interaction_id=first.interaction_id).count() == 0
        assert await _matches("narwhal") == set()
        assert await _matches("quokka") == {other.message_id}
        connection = Tortoise.get_connection("default")
        await connection.execute_query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        await close_database()


def test_the_index_follows_inserts_edits_and_deletes(tmp_path) -> None:
    asyncio.run(_scenario(f"sqlite://{tmp_path / 'search.sqlite3'}"))


async def _backfill(path) -> None:
    """Rows stored before migration 0004 are indexed when it runs."""
    from tortoise.migrations.api import migrate

    from server.persistence.db import tortoise_config
    config = tortoise_config(f"sqlite://{path}")
    await migrate(config=config, target="models.0003_transcript_downloads")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    await connection.execute_script(
        "INSERT INTO queues (id, name, strategy, weight, offer_timeout, reoffer_delay, capacity, target_seconds) "
        "VALUES (1, 'q', 'ring_all', 0, 30, 60, 5, 60);"
        "INSERT INTO accounts (id, key, provider, name, phone_number, queue_id, credentials, api_base_url) "
        "VALUES (1, 'a', 'sandbox', '', '', 1, '{}', '');"
        "INSERT INTO interactions (id, customer_phone, customer_name, status, read_marker, returned_unread, "
        "created_at, account_id, queue_id) VALUES (1, '+393330000001', '', 'open', 0, 0, "
        "'2025-01-01 00:00:00+00:00', 1, 1);"
        "INSERT INTO messages (interaction_id, direction, kind, text, status, sender, created_at) "
        "VALUES (1, 'in', 'text', 'an old capybara message', 'received', '', '2025-01-01 00:00:00+00:00');")
    await Tortoise.close_connections()
    await open_database(f"sqlite://{path}")
    try:
        assert len(await _matches("capybara")) == 1
    finally:
        await close_database()


def test_the_migration_indexes_existing_messages(tmp_path) -> None:
    asyncio.run(_backfill(tmp_path / "old.sqlite3"))


def test_user_input_becomes_quoted_prefix_terms() -> None:
    assert search_words('  "Parcel*  AND NEAR(x, y) -late ') == ["parcel", "and", "near", "x", "y", "late"]
    assert fts_group("parc", ["parcel", "parcels"]) == '("parcel" OR "parcels")'
    assert fts_group('a"', ['a"b']) == '("a""b")'  # a quote stays inside its term
    assert fts_group("p", [f"p{i}" for i in range(PREFIX_WORDS + 1)]) == '"p"*'
    assert fold("Café") == "cafe" and fold("ÜBER") == "uber"
    assert search_words('" * - ( ) :') == []
    assert search_words("Café über_alles") == ["café", "über", "alles"]


def test_phone_formats_become_digits() -> None:
    assert phone_digits("+39 333 123 4567") == ["393331234567"]
    assert phone_digits("0039 333 1234567") == ["393331234567"]
    assert phone_digits("333-123-4567") == ["3331234567"]
    assert phone_digits("(0333) 1234567") == ["03331234567", "3331234567"]
    assert phone_digits("Mario 333") == [] and phone_digits("12") == []
