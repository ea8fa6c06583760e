"""An agent's list holds the conversations they transferred away (SPEC L1): transfers by their sender."""
from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0012_session_last_use')]

    initial = False

    operations = [
        ops.AddIndex(model_name='Transfer', index=Index(fields=['from_agent_id', 'status'])),
    ]
