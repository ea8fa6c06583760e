"""The sender's reason for a transfer (optional, up to 200 characters), shown to whoever is offered it."""
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0012_session_last_use')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Transfer',
            name='note',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
