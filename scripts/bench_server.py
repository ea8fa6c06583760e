"""The server as `python -m server` runs it, plus the benchmark's offer probe (scripts/bench.py starts it).

    python scripts/bench_server.py --probe FILE [the flags of python -m server]

Same settings, same ASGI entry (webhooks, REST API and the NiceGUI pages), same uvicorn options. The probe
only listens to the event hub: when every agent of a queue holds a new interaction's offer (monotonic time,
which is one clock for every process of the machine). SIGUSR1 writes what it saw, with the writer's and the
actor system's figures, to FILE as JSON.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn  # noqa: E402

from server.__main__ import uvicorn_options  # noqa: E402
from server.app import Entry, create_entry  # noqa: E402
from server.config import build_settings  # noqa: E402
from server.domain.events import OfferShown  # noqa: E402


class OfferProbe:
    """Counts each interaction's new offers shown and when the count reached `expected`."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.counts: dict[int, int] = {}
        self.complete: dict[int, float] = {}

    def __call__(self, event: Any) -> None:
        if type(event) is OfferShown and event.kind == "new":
            n = self.counts.get(event.interaction_id, 0) + 1
            self.counts[event.interaction_id] = n
            if n == self.expected:
                self.complete[event.interaction_id] = time.monotonic()


def attach_when_ready(entry: Entry, probe: OfferProbe) -> None:
    while not getattr(entry.state, "ready", False):
        time.sleep(0.05)
    services = entry.state.services

    async def subscribe() -> None:
        services.hub.subscribe("*", probe)

    asyncio.run_coroutine_threadsafe(subscribe(), services.system.loop).result(10)


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--probe", required=True, type=Path)
    parser.add_argument("--agents-per-queue", type=int, required=True)
    ours, rest = parser.parse_known_args()
    settings = build_settings(rest)
    logging.basicConfig(level=logging.WARNING)
    entry = create_entry(settings)
    probe = OfferProbe(ours.agents_per_queue)
    threading.Thread(target=attach_when_ready, args=(entry, probe), daemon=True).start()

    def dump(*_: Any) -> None:
        services = entry.state.services
        writer = services.writer
        ours.probe.write_text(json.dumps({
            "counts": probe.counts, "complete": probe.complete, "actors": services.system.counts,
            "commit_seconds": list(writer.commit_seconds), "batches": writer.batches,
            "operations": writer.operations,
            "threads": {thread.native_id: thread.name for thread in threading.enumerate()}}))

    signal.signal(signal.SIGUSR1, dump)
    uvicorn.run(entry, **uvicorn_options(settings))


if __name__ == "__main__":
    main()
