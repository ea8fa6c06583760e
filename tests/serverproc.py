"""Run the real server in a subprocess (python -m server) on a free port, with its own data dir."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_data_dir(template: Path, target: Path) -> Path:
    """A copy of a data dir a stopped server left (database, generated secret, files), without its log."""
    shutil.copytree(template, target)
    (target / "server.log").unlink(missing_ok=True)
    return target


class ServerProcess:
    def __init__(self, data_dir: Path, *, demo: bool = True, port: int | None = None,
                 extra_env: dict[str, str] | None = None, database_url: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.demo = demo
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    def start(self, timeout: float = 60) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(self.data_dir)]
        if self.demo:
            args.append("--demo")
        if self.database_url:
            args += ["--database-url", self.database_url]
        env = dict(os.environ, XC_PUBLIC_URL=self.base, PYTHONUNBUFFERED="1", **self.extra_env)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not become healthy:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class Api:
    """A signed-in client of /api/v1."""

    def __init__(self, base: str, username: str | None = None, password: str = "demo") -> None:
        self.base = base
        self.client = httpx.Client(base_url=base + "/api/v1", timeout=20)
        self.username = username
        if username:
            r = self.client.post("/auth/login", json={"username": username, "password": password})
            r.raise_for_status()
            self.client.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def __getattr__(self, name: str):
        return getattr(self.client, name)

    def inbound(self, message_id: str, phone: str, text: str, name: str = "", account: str = "sandbox") -> httpx.Response:
        return httpx.post(f"{self.base}/webhooks/sandbox/{account}",
                          json={"id": message_id, "from": phone, "text": text, "name": name}, timeout=20)

    def wait_for_offer(self, interaction_id: int | None = None, timeout: float = 5.0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for offer in self.client.get("/offers").json()["items"]:
                if interaction_id is None or offer["interaction_id"] == interaction_id:
                    return offer
            time.sleep(0.02)
        raise AssertionError(f"{self.username} got no offer for {interaction_id}")
