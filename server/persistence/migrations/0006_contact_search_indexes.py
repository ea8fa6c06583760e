"""An index for finding contacts by tag (SPEC C4): the contact_tags through table has only its unique
(contacts_id, tag_id) index, so "contacts with tag X" read the whole table, for the page and again for
the count. It has no model, so the index is raw SQL, the same on SQLite and PostgreSQL
(scripts/bench_contacts.py, 100,000 contacts: one tag's page and count 35 ms of SQL without it, 14 ms with)."""
from tortoise import migrations
from tortoise.migrations import operations as ops

TAG_INDEX = ["CREATE INDEX IF NOT EXISTS idx_contact_tags_tag ON contact_tags (tag_id, contacts_id)"]
TAG_INDEX_DROP = ["DROP INDEX IF EXISTS idx_contact_tags_tag"]


async def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


async def create_indexes(apps, schema_editor) -> None:
    await _run(schema_editor, TAG_INDEX)


async def drop_indexes(apps, schema_editor) -> None:
    await _run(schema_editor, TAG_INDEX_DROP)


class Migration(migrations.Migration):
    dependencies = [('models', '0005_contact_manager')]

    initial = False

    operations = [
        ops.RunPython(create_indexes, drop_indexes),
    ]
