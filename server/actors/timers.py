"""One timer thread for every actor: at the due time it `tell`s the actor a message.

Messages carry the generation they were set for, so an actor ignores a timer that became stale;
cancelling is only a memory optimisation.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any

import pykka


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, pykka.ActorRef[Any], Any]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
        self._thread.start()

    def after(self, delay: float, ref: pykka.ActorRef[Any], message: Any) -> None:
        self.at(time.monotonic() + max(0.0, delay), ref, message)

    def at(self, due_monotonic: float, ref: pykka.ActorRef[Any], message: Any) -> None:
        with self._wake:
            heapq.heappush(self._heap, (due_monotonic, next(self._counter), ref, message))
            if self._heap[0][0] == due_monotonic:
                self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, ref, message = heapq.heappop(self._heap)
            try:
                ref.tell(message)
            except pykka.ActorDeadError:
                pass  # the actor stopped (its interaction closed): nothing left to time
