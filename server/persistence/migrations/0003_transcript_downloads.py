from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_media_and_templates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TranscriptDownload',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('interaction', fields.ForeignKeyField('models.Interaction', source_field='interaction_id', db_constraint=True, to_field='id', related_name='transcript_downloads', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='transcript_downloads', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'transcript_downloads', 'app': 'models', 'pk_attr': 'id', 'table_description': "Who downloaded which interaction's transcript, and when (SPEC A3)."},
            bases=['Model'],
        ),
    ]
