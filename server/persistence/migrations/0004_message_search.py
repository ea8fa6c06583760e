"""Quick search of message text without a LIKE over every row, and indexes for the filtered list (SPEC L2).

SQLite: an FTS5 index (external content over messages.text, rowid = messages.id) kept in step by
triggers, filled once here from the rows already stored. PostgreSQL: a GIN index over
to_tsvector('simple', text) (no extension needed). The B-tree indexes for the list's filters are
declared on the models (Meta.indexes) and added below; the tag lookup index is on the through table,
which has no model, so it is raw SQL.
"""
from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    # Its vocabulary, to turn a word's prefix into the indexed words that have it (see queries.py).
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts_vocab USING fts5vocab(messages_fts, 'row')",
]
# The same statements serve scripts/bench_list.py, which drops them while it seeds and rebuilds after.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS messages_fts_ai AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_ad AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_au AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_REBUILD = "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')"
SQLITE_DROP = ["DROP TRIGGER IF EXISTS messages_fts_ai", "DROP TRIGGER IF EXISTS messages_fts_ad",
               "DROP TRIGGER IF EXISTS messages_fts_au", "DROP TABLE IF EXISTS messages_fts_vocab",
               "DROP TABLE IF EXISTS messages_fts"]

POSTGRES_FTS = ["CREATE INDEX IF NOT EXISTS idx_messages_text_fts ON messages "
                "USING GIN (to_tsvector('simple', text))"]
POSTGRES_DROP = ["DROP INDEX IF EXISTS idx_messages_text_fts"]

TAG_INDEX = ["CREATE INDEX IF NOT EXISTS idx_interaction_tags_tag ON interaction_tags (tag_id, interactions_id)"]
TAG_INDEX_DROP = ["DROP INDEX IF EXISTS idx_interaction_tags_tag"]


async def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


async def create_search(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await _run(schema_editor, SQLITE_FTS + SQLITE_TRIGGERS + [SQLITE_REBUILD] + TAG_INDEX)
    else:
        await _run(schema_editor, POSTGRES_FTS + TAG_INDEX)


async def drop_search(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await _run(schema_editor, SQLITE_DROP + TAG_INDEX_DROP)
    else:
        await _run(schema_editor, POSTGRES_DROP + TAG_INDEX_DROP)


class Migration(migrations.Migration):
    dependencies = [('models', '0003_transcript_downloads')]

    initial = False

    operations = [
        ops.AddIndex(model_name='Interaction', index=Index(fields=['status', 'created_at'])),
        ops.AddIndex(model_name='Interaction', index=Index(fields=['owner_id', 'created_at'])),
        ops.AddIndex(model_name='Interaction', index=Index(fields=['first_agent_id', 'created_at'])),
        ops.AddIndex(model_name='Interaction', index=Index(fields=['account_id', 'created_at'])),
        ops.RunPython(create_search, drop_search),
    ]
