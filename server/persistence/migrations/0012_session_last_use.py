"""When each session was last used, for the idle timeout of sign-ins (workspace setting `sessions`)."""
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0011_customer_changes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuthSession',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
