"""Template details (SPEC T3): a plain header and footer, quick-reply buttons, each account's approval
status, and names as long as Meta allows (512).

Made by makemigrations; its autodetector also proposed dropping and re-adding interactions.id and
re-creating an index on interactions that 0005 made: those operations were removed. The new columns are
NOT NULL, so existing rows need a value: each is added with a database default, which then goes (the
model's defaults are Python's, as everywhere else)."""
from typing import Any

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


def _columns(*, db_default: bool) -> dict[str, Any]:
    def initially(value: Any) -> dict[str, Any]:
        return {'db_default': value} if db_default else {}

    return {
        'buttons': fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads, **initially([])),
        'footer': fields.CharField(default='', max_length=60, **initially('')),
        'header': fields.CharField(default='', max_length=60, **initially('')),
        'statuses': fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads, **initially({})),
    }


class Migration(migrations.Migration):
    dependencies = [('models', '0006_contact_search_indexes')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Template',
            options={'table': 'templates', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'A WhatsApp message template (SPEC T3).'},
        ),
        ops.AlterField(
            model_name='Template',
            name='name',
            field=fields.CharField(unique=True, max_length=512),
        ),
        *(ops.AddField(model_name='Template', name=name, field=field)
          for name, field in _columns(db_default=True).items()),
        *(ops.AlterField(model_name='Template', name=name, field=field)
          for name, field in _columns(db_default=False).items()),
    ]
