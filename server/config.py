"""Settings built once at start-up from command-line flags and XC_* environment variables."""
from __future__ import annotations

import argparse
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    database_url: str = ""
    public_url: str = ""
    storage_secret: str = ""
    previous_storage_secrets: tuple[str, ...] = ()  # still opened, while credentials are sealed again
    demo: bool = False
    actor_threads: int = 4
    send_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)  # seconds between send attempts
    send_timeout: float = 10.0  # seconds a provider has to answer a send

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'contact-center.sqlite3').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def build_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags win over XC_* variables, which win over the defaults."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m server", description="Run the contact-center server.")
    parser.add_argument("--host", default=env.get("XC_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("XC_PORT", "8080")))
    parser.add_argument("--database-url", default=env.get("XC_DATABASE_URL", ""),
                        help="sqlite://PATH or postgres://USER:PASS@HOST/DB (default: SQLite under the data dir)")
    parser.add_argument("--data-dir", default=env.get("XC_DATA_DIR", "data"))
    parser.add_argument("--demo", action="store_true", help="create the demo workspace (idempotent)")
    parser.add_argument("--actor-threads", type=int, default=int(env.get("XC_ACTOR_THREADS", "4")),
                        help="worker threads shared by all actors")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir)
    return Settings(
        host=args.host,
        port=args.port,
        data_dir=data_dir,
        database_url=args.database_url,
        public_url=env.get("XC_PUBLIC_URL", ""),
        storage_secret=env.get("XC_STORAGE_SECRET", "") or stored_secret(data_dir),
        previous_storage_secrets=tuple(s.strip() for s in env.get("XC_STORAGE_SECRET_PREVIOUS", "").split(",")
                                       if s.strip()),
        demo=args.demo,
        actor_threads=max(1, args.actor_threads),
    )


def stored_secret(data_dir: Path) -> str:
    """A secret generated once per data dir, so sessions survive restarts without configuration."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "storage-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
