"""Rows that may be added but never changed or removed through the ORM (the audit trail, SPEC A3).

A model opts in by mixing `AppendOnly` in before `Model` and naming `AppendOnlyManager()` as its manager:
saving a stored row, deleting a row, and the query set's `update`, `delete` and `bulk_update` then raise
`AppendOnlyError` before any SQL is sent. Creating rows (`create`, `bulk_create`) works as usual.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.manager import Manager
from tortoise.queryset import QuerySet


class AppendOnlyError(RuntimeError):
    """Something tried to change or remove a row of an append-only table."""


def _refuse(model: Any, what: str) -> NoReturn:
    name = getattr(model, "__name__", type(model).__name__)
    raise AppendOnlyError(f"{name} rows are append-only: they cannot be {what}.")


class AppendOnlyQuerySet(QuerySet):
    """A query set that reads and inserts, and refuses bulk changes and deletes."""

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse(self.model, "updated")

    def delete(self) -> NoReturn:
        _refuse(self.model, "deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(self.model, "updated")


class AppendOnlyManager(Manager):
    def get_queryset(self) -> QuerySet:
        return AppendOnlyQuerySet(self._model)


class AppendOnly:
    """Mixin for a tortoise model (put it before `Model`): a row is saved once, when it is created."""

    _saved_in_db: bool

    async def save(self, using_db: BaseDBAsyncClient | None = None, update_fields: Iterable[str] | None = None,
                   force_create: bool = False, force_update: bool = False) -> None:
        if self._saved_in_db or update_fields or force_update:
            _refuse(type(self), "updated")
        await super().save(using_db=using_db, force_create=force_create)  # type: ignore[misc]

    async def delete(self, using_db: BaseDBAsyncClient | None = None) -> NoReturn:
        _refuse(type(self), "deleted")
