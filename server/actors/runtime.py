"""A pykka runtime that runs many actors on a few threads.

Each actor's inbox is a deque; a message that finds its actor idle puts the actor on the pool's
ready queue, and a worker drains up to `SLICE` messages before taking the next ready actor.
An actor therefore never runs on two threads at once, and never blocks a worker: it hands slow work
(database, HTTP) to the event loop and takes the result back as a message (see bridge.py).

Unlike pykka's ThreadingActor, an exception while handling a `tell` does not stop the actor: it is
logged and the actor goes on; each actor catches what it can decide about itself.
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
from collections import deque
from typing import Any

import pykka
from pykka import ActorDeadError
from pykka._envelope import Envelope
from pykka.messages import _ActorStop

from server.errors import Unavailable

log = logging.getLogger(__name__)

SLICE = 64


class ActorPool:
    """Worker threads shared by every pooled actor."""

    def __init__(self, threads: int = 4, name: str = "actors") -> None:
        self._ready: queue.SimpleQueue[PooledActor | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    def schedule(self, actor: PooledActor) -> None:
        self._ready.put(actor)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._ready.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def _work(self) -> None:
        while (actor := self._ready.get()) is not None:
            try:
                actor._run_slice()  # noqa: SLF001
            except BaseException:  # never let a worker die
                log.exception("actor slice failed in %s", actor)


class _PooledInbox:
    """The actor's mailbox; putting into an idle actor's box schedules the actor."""

    def __init__(self, actor: PooledActor) -> None:
        self._actor = actor
        self._items: deque[Envelope[Any]] = deque()
        self._lock = threading.Lock()
        self._scheduled = False

    def put(self, envelope: Envelope[Any], block: bool = True, timeout: float | None = None) -> None:
        with self._lock:
            self._items.append(envelope)
            if self._scheduled:
                return
            self._scheduled = True
        self._actor.pool.schedule(self._actor)

    def take(self) -> Envelope[Any] | None:
        try:
            return self._items.popleft()
        except IndexError:
            return None

    def release(self) -> bool:
        """Called at the end of a slice; True when the actor must run again."""
        with self._lock:
            if self._items:
                return True
            self._scheduled = False
            return False

    def empty(self) -> bool:
        return not self._items

    def get(self, block: bool = True, timeout: float | None = None) -> Envelope[Any]:
        return self._items.popleft()


class _Start:
    pass


class PooledActor(pykka.Actor):
    """Base of our actors: pykka semantics (tell, ask, stop, registry) on a shared pool."""

    pool: ActorPool

    def __init__(self, pool: ActorPool) -> None:
        self.pool = pool
        super().__init__()

    def _create_actor_inbox(self) -> _PooledInbox:  # type: ignore[override]
        return _PooledInbox(self)

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return pykka.ThreadingFuture()

    def _start_actor_loop(self) -> None:
        self.actor_inbox.put(Envelope(_Start()))

    def on_slice_end(self) -> None:
        """Hook after each run of up to SLICE messages: flush what was batched while handling them."""

    def on_mail_after_stop(self, message: Any) -> None:
        """Mail that arrived too late: answer a waiting caller rather than leave it hanging."""
        reply = getattr(message, "reply", None)
        if reply is not None:
            reply.fail(Unavailable("That part of the system has stopped; try again."))

    def _run_slice(self) -> None:
        inbox: _PooledInbox = self.actor_inbox  # type: ignore[assignment]
        for _ in range(SLICE):
            envelope = inbox.take()
            if envelope is None:
                break
            self._handle_envelope(envelope)
        if not self.actor_stopped.is_set():
            try:
                self.on_slice_end()
            except Exception:
                log.exception("%s failed to flush its slice", self)
        if inbox.release():
            self.pool.schedule(self)

    def _handle_envelope(self, envelope: Envelope[Any]) -> None:
        message = envelope.message
        if self.actor_stopped.is_set():
            if envelope.reply_to is not None:
                if isinstance(message, _ActorStop):
                    envelope.reply_to.set(None)
                else:
                    envelope.reply_to.set_exception(
                        exc_info=(ActorDeadError, ActorDeadError(f"{self} stopped"), None))
            else:
                self.on_mail_after_stop(message)
            return
        if isinstance(message, _Start):
            self._actor_loop_setup()
            return
        try:
            response = self._handle_receive(message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                envelope.reply_to.set_exception(sys.exc_info())
            else:
                log.exception("%s failed to handle %s; it keeps running", self, type(message).__name__)
