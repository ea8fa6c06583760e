"""What providers send beyond a new message: customers known only by a business-scoped user id (longer than a
number), the customer's time of sending, edits, deletions and reactions
on a message, the raw item of a message the desk cannot show, and the items no conversation of ours owns."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0010_message_search_folding')]

    initial = False

    operations = [
        ops.AlterField(
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
