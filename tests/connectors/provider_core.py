"""The running core with one provider account routed to queue Q1, one online agent, and a client of the
webhook endpoints: what each provider's tests start from."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from server.connectors.webhooks import webhook_app
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Queue
from server.services.auth import Principal
from tests.actors.harness import Core


@contextmanager
def provider_core(data_dir: Path, **account: Any) -> Iterator[tuple[Core, Principal, httpx.AsyncClient]]:
    """`account`: the Account's fields (key, provider, credentials, api_base_url, ...)."""
    core = Core(data_dir, send_retry_delays=(0.05,), send_timeout=0.5)
    [agent] = core.workspace(1)

    async def create() -> None:
        await open_database(core.settings.resolved_database_url)
        await Account.create(queue=await Queue.get(name="Q1"), **account)
        await close_database()

    core.call(create())
    core.start()
    core.call(core.services.agents.set_state(agent, "online", None))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook_app(lambda: core.services)),
                               base_url="http://test")
    try:
        yield core, agent, client
    finally:
        core.call(client.aclose())
        core.close()
