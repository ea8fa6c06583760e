"""Which supervisors watch which queues on the live board (SPEC S1), and supervisors' notes meant for one
agent only (SPEC S2: `messages.recipient`)."""
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0008_campaigns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QueueSupervisor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', db_constraint=True,
                                                 to_field='id', related_name='supervisors', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True,
                                                to_field='id', related_name='supervised_queues',
                                                on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'queue_supervisors', 'app': 'models', 'unique_together': (('queue', 'user'),),
                     'pk_attr': 'id', 'table_description': 'A supervisor watching a queue on the live board.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='recipient',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
