"""Outbound campaigns (SPEC T5): campaigns, their recipients, and the send-once marks of their messages.

Made by makemigrations; its autodetector also proposed dropping and re-adding interactions.id and
re-creating indexes on interactions that earlier migrations made: those operations were removed."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0007_template_details')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=128)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('list', fields.ForeignKeyField('models.ContactList', source_field='list_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('tags', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('template', fields.ForeignKeyField('models.Template', source_field='template_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('variables', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('rate', fields.FloatField(default=1.0)),
                ('state', fields.CharField(default='draft', max_length=16)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaigns', 'app': 'models', 'indexes': [Index(fields=['state'])], 'pk_attr': 'id', 'table_description': "An outbound campaign (SPEC T5): one template sent to a list's contacts (those with all of `tags`,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignRecipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='campaign_recipients', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(default='', max_length=257)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('variables', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='campaign_recipients', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'campaign_recipients', 'app': 'models', 'unique_together': (('campaign', 'contact'),), 'indexes': [Index(fields=['campaign_id', 'state', 'id']), Index(fields=['phone'])], 'pk_attr': 'id', 'table_description': 'One contact of a started campaign: pending until its message is written (queued, with `message`),'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SendOnce',
            fields=[
                ('message', fields.OneToOneField('models.Message', source_field='message_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='send_once', on_delete=OnDelete.CASCADE)),
                ('started', fields.BooleanField(default=False)),
            ],
            options={'table': 'send_once', 'app': 'models', 'pk_attr': 'message_id', 'table_description': "An outbound message that must never reach the customer twice (a campaign's): `started` is stored"},
            bases=['Model'],
        ),
        ops.AlterModelOptions(  # what the autodetector expects of a model whose primary key is a relation
            name='SendOnce',
            options={'table': 'send_once', 'app': 'models', 'pk_attr': 'message_id', 'table_description': "An outbound message that must never reach the customer twice (a campaign's): `started` is stored"},
        ),
    ]
