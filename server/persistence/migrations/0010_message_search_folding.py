"""PostgreSQL's message search folds diacritics like SQLite's (persistence/text_fold.py): the GIN index is
rebuilt over the folded text. Nothing changes on SQLite."""
from tortoise import migrations
from tortoise.migrations import operations as ops

from server.persistence.text_fold import text_vector

OLD = "idx_messages_text_fts"
NEW = "idx_messages_text_folded"


async def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        return
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


async def fold(apps, schema_editor) -> None:
    await _run(schema_editor, [f"CREATE INDEX IF NOT EXISTS {NEW} ON messages USING GIN ({text_vector('text')})",
                               f"DROP INDEX IF EXISTS {OLD}"])


async def unfold(apps, schema_editor) -> None:
    await _run(schema_editor, [f"CREATE INDEX IF NOT EXISTS {OLD} ON messages USING GIN "
                               "(to_tsvector('simple', text))", f"DROP INDEX IF EXISTS {NEW}"])


class Migration(migrations.Migration):
    dependencies = [('models', '0009_queue_supervisors')]

    initial = False

    operations = [ops.RunPython(fold, unfold)]
