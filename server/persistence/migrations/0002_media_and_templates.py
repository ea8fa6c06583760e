from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.OneToOneField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='attachment', on_delete=OnDelete.CASCADE)),
                ('ref', fields.CharField(default='', max_length=1000)),
                ('content_type', fields.CharField(default='', max_length=128)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('size', fields.BigIntField(null=True)),
                ('sha256', fields.CharField(null=True, max_length=64)),
                ('state', fields.CharField(default='pending', max_length=8)),
                ('error', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'attachments', 'app': 'models', 'indexes': [Index(fields=['state'])], 'pk_attr': 'id', 'table_description': 'The file of a media message. Inbound: `ref` names it at the provider until it is fetched'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='template',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Template',
            name='provider_ids',
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
