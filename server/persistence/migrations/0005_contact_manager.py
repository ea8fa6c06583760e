"""The contact manager (SPEC C1-C9): custom fields per list, authors (My Contacts), the audit trail,
lower-cased search columns (filled here for the contacts already stored) and the indexes its lookups use."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

BACKFILL = ("UPDATE contacts SET search_name = LOWER(TRIM(first_name || ' ' || last_name)), "
            "search_email = LOWER(email)")


async def fill_search_columns(apps, schema_editor) -> None:
    if schema_editor.collect_sql:
        schema_editor.collected_sql.append(BACKFILL)
    else:
        await schema_editor.client.execute_script(BACKFILL)


async def nothing(apps, schema_editor) -> None:
    """Going back drops the columns; there is nothing to undo."""


def _columns(*, db_default: bool) -> dict:
    def initially(value):
        return {'db_default': value} if db_default else {}

    return {
        'field_values': fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads, **initially({})),
        'search_email': fields.CharField(default='', max_length=255, **initially('')),
        'search_name': fields.CharField(default='', max_length=257, **initially('')),
    }


class Migration(migrations.Migration):
    dependencies = [('models', '0004_message_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('username', fields.CharField(default='', max_length=64)),
                ('action', fields.CharField(max_length=48)),
                ('target', fields.CharField(default='', max_length=128)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entries', 'app': 'models', 'indexes': [Index(fields=['action', 'id'])], 'pk_attr': 'id', 'table_description': 'A configuration change or a sensitive action (SPEC A3): who, when, what, the values before and after.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactAuthor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='authors', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='contact_edits', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'contact_authors', 'app': 'models', 'unique_together': (('user', 'contact'),), 'pk_attr': 'id', 'table_description': 'Who created or edited a contact: the rows behind My Contacts (SPEC C7).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomField',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('list', fields.ForeignKeyField('models.ContactList', source_field='list_id', db_constraint=True, to_field='id', related_name='custom_fields', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('label', fields.CharField(default='', max_length=128)),
                ('kind', fields.CharField(default='text', max_length=8)),
                ('choices', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'custom_fields', 'app': 'models', 'unique_together': (('list', 'name'),), 'pk_attr': 'id', 'table_description': 'A field that the contacts of one list carry (SPEC C2), validated by its kind.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contact',
            name='created_by',
            field=fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_contacts', on_delete=OnDelete.SET_NULL),
        ),
        # NOT NULL columns on a table that may hold rows: added with a database default, which then goes.
        *(ops.AddField(model_name='Contact', name=name, field=field)
          for name, field in _columns(db_default=True).items()),
        *(ops.AlterField(model_name='Contact', name=name, field=field)
          for name, field in _columns(db_default=False).items()),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['list_id', 'id']),
        ),
        ops.AddConstraint(
            model_name='ContactPhone',
            constraint=UniqueConstraint(fields=('contact', 'phone'), name=None),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['customer_phone']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['contact_id', 'id']),
        ),
        ops.RunPython(fill_search_columns, nothing),
    ]
