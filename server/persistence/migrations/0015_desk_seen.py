"""Which agents have worked at a desk page, so that presence watches them after a restart too (SPEC P1)."""
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0014_participations')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='desk_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
