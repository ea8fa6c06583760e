"""python -m server [--host H] [--port P] [--database-url URL] [--data-dir DIR] [--demo]"""
from __future__ import annotations

import logging
from typing import Any

import uvicorn

from server.app import create_entry
from server.config import Settings, build_settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How the server is served (scripts/bench_server.py serves it the same way)."""
    return {"host": settings.host, "port": settings.port, "log_level": "warning", "access_log": False,
            "timeout_graceful_shutdown": 5}


def main() -> None:
    settings = build_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_entry(settings), **uvicorn_options(settings))


if __name__ == "__main__":
    main()
