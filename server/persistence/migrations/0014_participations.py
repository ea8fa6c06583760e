"""Who took part in which interaction (SPEC L1): an agent's list holds every conversation they took part in,
not only those they own now. Filled here for the interactions already stored, from what they recorded:
their owner, who joined when it was accepted (or created); and their first agent when someone else owns it
now, who left at an unknown time, recorded as the same moment: transferred away, or returned to the queue
when nobody owns it (only a return leaves an answered interaction without an owner)."""
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

BACKFILL = [
    "INSERT INTO participations (interaction_id, user_id, joined_at) "
    "SELECT id, owner_id, COALESCE(accepted_at, created_at) FROM interactions WHERE owner_id IS NOT NULL",
    "INSERT INTO participations (interaction_id, user_id, joined_at, left_at, left_reason) "
    "SELECT id, first_agent_id, COALESCE(accepted_at, created_at), COALESCE(accepted_at, created_at), "
    "CASE WHEN owner_id IS NULL THEN 'returned' ELSE 'transferred' END FROM interactions "
    "WHERE first_agent_id IS NOT NULL AND (owner_id IS NULL OR owner_id <> first_agent_id)",
]


async def fill_participations(apps, schema_editor) -> None:
    for sql in BACKFILL:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


async def nothing(apps, schema_editor) -> None:
    """Going back drops the table; there is nothing to undo."""


class Migration(migrations.Migration):
    dependencies = [('models', '0013_transfer_note')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Participation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('interaction', fields.ForeignKeyField('models.Interaction', source_field='interaction_id',
                                                       db_constraint=True, to_field='id',
                                                       related_name='participations', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True,
                                                to_field='id', related_name='participations',
                                                on_delete=OnDelete.CASCADE)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('left_reason', fields.CharField(null=True, max_length=16)),
            ],
            options={'table': 'participations', 'app': 'models', 'unique_together': (('interaction', 'user'),),
                     'indexes': [Index(fields=['user_id', 'interaction_id'])], 'pk_attr': 'id',
                     'table_description': "An agent's part in an interaction (SPEC L1: an agent's list holds "
                                          "every conversation they took part in):"},
            bases=['Model'],
        ),
        ops.RunPython(fill_participations, nothing),
    ]
