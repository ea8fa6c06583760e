"""What providers send beyond a new message: customers known only by a business-scoped user id (longer than a
number), the customer's time of sending, edits, deletions and reactions
on a message, the raw item of a message the desk cannot show, and the items no conversation of ours owns.

Made by makemigrations; its proposals to drop and re-add interactions.id and to re-create indexes that earlier
migrations made were removed."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class LengthOnlyWhereEnforced(ops.AlterField):
    """A longer VARCHAR: altered on PostgreSQL; on SQLite, which does not enforce lengths, only the recorded
    schema changes (altering a column there rebuilds the whole table, interactions with all their rows)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0010_message_search_folding')]

    initial = False

    operations = [
        LengthOnlyWhereEnforced(
            model_name='Interaction',
            name='customer_phone',
            field=fields.CharField(max_length=160),
        ),
        ops.CreateModel(
            name='UnroutedInbound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='unrouted', on_delete=OnDelete.SET_NULL)),
                ('provider', fields.CharField(max_length=16)),
                ('reason', fields.CharField(max_length=255)),
                ('payload', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'unrouted_inbound', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': "An item of a provider's delivery that belongs to no conversation of ours (no sender, or a number of no"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='edits',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Message',
            name='payload',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Message',
            name='reaction',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Message',
            name='revoked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Message',
            name='sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
