"""The routing core in-process (no HTTP): services on an event loop in a background thread.

Tests call services from real threads through `call`, as request handlers would, so races between
threads are real races between actors.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from server.app import Services, start_services, stop_services
from server.config import Settings
from server.domain.events import Event
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Queue, QueueMember, User
from server.services.auth import Principal

T = TypeVar("T")
DATABASE_FILE = "contact-center.sqlite3"  # the file name Settings gives a data dir's SQLite database
_MIGRATED: list[Path] = []


class Core:
    def __init__(self, data_dir: Path, **settings: Any) -> None:
        self.settings = Settings(data_dir=Path(data_dir), storage_secret="test", actor_threads=4, **settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()
        self.services: Services | None = None
        self.events: list[Event] = []
        self._events_lock = threading.Lock()
        if not self.settings.database_url:
            self._copy_migrated_database()

    def _copy_migrated_database(self) -> None:
        """Start from a copy of an empty, migrated SQLite database (migrated once per test process): the
        same as migrating here, without paying for it in every test."""
        if not _MIGRATED:
            template = Path(tempfile.mkdtemp(prefix="xc-migrated-")) / DATABASE_FILE
            self.call(open_database(f"sqlite://{template}"))
            self.call(close_database())
            _MIGRATED.append(template)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for part in _MIGRATED[0].parent.glob(DATABASE_FILE + "*"):
            shutil.copy(part, self.settings.data_dir / part.name)

    def call(self, awaitable: Awaitable[T], timeout: float = 30) -> T:
        """Run an awaitable (a coroutine or an ORM query) on the core's loop from this thread."""
        async def run() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def call_async(self, awaitable: Awaitable[T]) -> Future[T]:
        """Start an awaitable on the core's loop; returns a future to wait on later."""
        async def run() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(run(), self.loop)

    def workspace(self, agents: int, *, capacity: int = 5, strategy: str = "ring_all", offer_timeout: int = 300,
                  reoffer_delay: int = 60, queue: str = "Q1") -> list[Principal]:
        """Create a queue with `agents` members and a sandbox account routed to it (before `start`)."""
        async def create() -> list[Principal]:
            await open_database(self.settings.resolved_database_url)
            q = await Queue.create(name=queue, strategy=strategy, capacity=capacity, offer_timeout=offer_timeout,
                                   reoffer_delay=reoffer_delay)
            await Account.create(key=f"sandbox-{queue.lower()}", provider="sandbox", queue=q)
            people = []
            for i in range(agents):
                user = await User.create(username=f"{queue.lower()}-agent{i}", password_hash="-", role="agent",
                                         capacity=capacity)
                await QueueMember.create(queue=q, user=user)
                people.append(Principal(user.id, user.username, "agent", ""))
            await close_database()
            return people

        return self.call(create())

    def start(self) -> Services:
        async def go() -> Services:
            services = await start_services(self.settings)
            services.hub.subscribe("*", self._record)
            return services

        self.services = self.call(go())
        return self.services

    def _record(self, event: Event) -> None:
        with self._events_lock:
            self.events.append(event)

    def events_of(self, kind: type, predicate: Callable[[Any], bool] = lambda e: True) -> list[Any]:
        with self._events_lock:
            return [e for e in self.events if isinstance(e, kind) and predicate(e)]

    def stop(self) -> None:
        if self.services is not None:
            self.call(stop_services(self.services))
            self.services = None

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
