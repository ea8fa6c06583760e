"""Tortoise models, database start-up and migrations, the group-commit writer, named queries."""
