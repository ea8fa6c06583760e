"""The single database writer: group commit for everything the routing core stores.

One task drains a queue of operations and applies everything that arrived together in one
transaction; each caller is answered only after the commit that holds its operation. Consecutive
operations of one type are applied together (`apply_many`), so a burst of inbound messages becomes
a few bulk statements. Because there is one writer, decisions that need a serial order (one open
interaction per conversation, interaction ids) are made here without locks.

If a batch fails, its operations are retried one per transaction, so one bad operation fails alone.
"""
from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server.errors import Unavailable
from server.persistence.sqlite_hop import Work, on_sqlite, run_in_one_hop

log = logging.getLogger(__name__)

Done = Callable[[Any, BaseException | None], None]
Conversation = tuple[int, str]  # (account id, customer phone)


class WriterContext:
    """What the writer keeps in memory: open interaction per conversation, the next interaction id, and the ids
    of the users it has written about (users are never deleted or renamed, so an id once read stays true)."""

    def __init__(self, open_conversations: dict[Conversation, int], next_interaction_id: int) -> None:
        self.open_conversations = open_conversations
        self.next_interaction_id = next_interaction_id
        self.user_ids: dict[str, int] = {}
        self._undo: list[Callable[[], object]] = []

    def allocate_interaction_id(self) -> int:
        value = self.next_interaction_id
        self.next_interaction_id += 1
        self._undo.append(lambda: setattr(self, "next_interaction_id", value))
        return value

    def open_conversation(self, conversation: Conversation, interaction_id: int) -> None:
        self.open_conversations[conversation] = interaction_id
        self._undo.append(lambda: self.open_conversations.pop(conversation, None))

    def close_conversation(self, conversation: Conversation, interaction_id: int) -> None:
        if self.open_conversations.get(conversation) == interaction_id:
            del self.open_conversations[conversation]
            self._undo.append(lambda: self.open_conversations.__setitem__(conversation, interaction_id))

    def begin(self) -> None:
        self._undo.clear()

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()


class WriteOp(ABC):
    """A unit of work, applied inside the batch's transaction."""

    bulk: ClassVar[bool] = False  # True: consecutive ops of the class go to `apply_many` together

    @abstractmethod
    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> Any:
        """Store this change; the result goes back to whoever submitted it."""

    @classmethod
    async def apply_many(cls, ops: list[WriteOp], conn: BaseDBAsyncClient, ctx: WriterContext) -> list[Any]:
        """Bulk classes override this with a few statements for the whole group."""
        return [await op.apply(conn, ctx) for op in ops]

    @classmethod
    def in_one_hop(cls, ops: list[WriteOp], ctx: WriterContext) -> Work[list[Any]] | None:
        """On SQLite, a batch of only this class as one function for the connection thread (sqlite_hop.py), or None
        to store it through tortoise, a hop per statement. It is made before any operation of the batch is stored,
        so only operations that change nothing in `ctx` may have one."""
        return None

    def after_commit(self, result: Any) -> None:
        """Runs on the loop after the commit, in the order the operations were submitted."""


class BulkWriteOp(WriteOp):
    """An operation that arrives in bursts: subclasses implement `apply_many` with a few statements."""

    bulk = True

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> Any:
        return (await self.apply_many([self], conn, ctx))[0]


_class_of = cast("Callable[[WriteOp], type[WriteOp]]", type)  # `type`, typed for grouping a batch by class


class _Pending:
    __slots__ = ("op", "future", "done")

    def __init__(self, op: WriteOp, future: asyncio.Future[Any] | None, done: Done | None) -> None:
        self.op, self.future, self.done = op, future, done

    def settle(self, result: Any, error: BaseException | None) -> None:
        if error is None:
            try:
                self.op.after_commit(result)
            except Exception:
                log.exception("after-commit step of %s failed", type(self.op).__name__)
        if self.future is not None and not self.future.done():
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)
        if self.done is not None:
            try:
                self.done(result, error)
            except Exception:
                log.exception("completion of %s failed", type(self.op).__name__)


class Writer:
    def __init__(self, ctx: WriterContext, max_batch: int = 500) -> None:
        self.ctx = ctx
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._on_sqlite = False
        self.batches = 0
        self.operations = 0
        self.commit_seconds: deque[float] = deque(maxlen=10_000)  # recent transactions, for measurement

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_sqlite = on_sqlite()
        self._task = asyncio.create_task(self._run(), name="db-writer")

    async def stop(self) -> None:
        """Finish everything already submitted, then stop."""
        self._closed = True
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task

    def has_open_conversation(self, conversation: Conversation) -> bool:
        """Whether a message of this (account id, address) would join an open interaction, as of now."""
        return conversation in self.ctx.open_conversations

    async def submit(self, op: WriteOp) -> Any:
        if self._closed:
            raise Unavailable("The server is shutting down.")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(op, future, None))
        return await future

    def submit_threadsafe(self, op: WriteOp, done: Done | None = None) -> None:
        """From an actor's thread; `done(result, error)` is later called on the loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._enqueue, _Pending(op, None, done))

    def submit_many_threadsafe(self, ops: list[WriteOp]) -> None:
        """Several operations nobody waits for (history lines), in one hop to the loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._enqueue_many, [_Pending(op, None, None) for op in ops])

    def _enqueue_many(self, items: list[_Pending]) -> None:
        for pending in items:
            self._enqueue(pending)

    def _enqueue(self, pending: _Pending) -> None:
        if self._closed and self._task is not None and self._task.done():
            pending.settle(None, Unavailable("The server is shutting down."))
        else:
            self._queue.put_nowait(pending)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        self.batches += 1
        self.operations += len(batch)
        self.ctx.begin()
        started = time.perf_counter()
        try:
            in_one_hop = self._in_one_hop(batch)
            if in_one_hop is not None:
                results = await run_in_one_hop(in_one_hop)
            else:
                async with in_transaction() as conn:
                    results = await self._apply(batch, conn)
            self.commit_seconds.append(time.perf_counter() - started)
        except Exception as error:
            self.ctx.rollback()
            if len(batch) == 1:
                log.error("write %s failed: %s", type(batch[0].op).__name__, error)
                batch[0].settle(None, error)
                return
            for pending in batch:  # isolate the failing operation
                await self._commit([pending])
            return
        for pending, result in zip(batch, results):
            pending.settle(result, None)

    def _in_one_hop(self, batch: list[_Pending]) -> Work[list[Any]] | None:
        """On SQLite, the batch as one hop's work (sqlite_hop.py) when every kind of operation in it can be stored
        that way; else None."""
        if not self._on_sqlite:
            return None
        works = []
        for op_type, group in itertools.groupby((p.op for p in batch), key=_class_of):
            work = op_type.in_one_hop(list(group), self.ctx)
            if work is None:
                return None
            works.append(work)
        if len(works) == 1:
            return works[0]

        def all_of(db: Any) -> list[Any]:
            return [result for work in works for result in work(db)]

        return all_of

    async def _apply(self, batch: list[_Pending], conn: BaseDBAsyncClient) -> list[Any]:
        results: list[Any] = []
        for op_type, group in itertools.groupby((p.op for p in batch), key=_class_of):
            ops = list(group)
            if op_type.bulk:
                results.extend(await op_type.apply_many(ops, conn, self.ctx))
            else:
                for op in ops:
                    results.append(await op.apply(conn, self.ctx))
        return results
