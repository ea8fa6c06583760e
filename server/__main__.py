"""python -m server [--host H] [--port P] [--database-url URL] [--data-dir DIR] [--demo]"""
from __future__ import annotations

import logging

import uvicorn

from server.app import create_entry
from server.config import build_settings


def main() -> None:
    settings = build_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_entry(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
