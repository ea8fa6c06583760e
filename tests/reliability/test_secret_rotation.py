"""Rotating the storage secret (provider credentials sealed at rest, persistence/credentials.py): a server
started with a new XC_STORAGE_SECRET and the old one in XC_STORAGE_SECRET_PREVIOUS still verifies the
providers' signatures and seals every account again with the new key, after which the old secret is not
needed. Real server processes on one data dir, restarted between steps; signed Meta webhooks."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from server.persistence.credentials import derive_key
from tests.api.conftest import new_phone
from tests.serverproc import ServerProcess, copy_data_dir
from tests.stored import rows
from tests.webhooks import signed_meta_text

pytestmark = pytest.mark.system  # run by .ci/run after the README suite (see pyproject.toml)

ACCOUNT, APP_SECRET = "meta-demo", "demo-app-secret"  # the demo workspace's Meta account


def _served(data_dir: Path, **env: str) -> ServerProcess:
    return ServerProcess(data_dir, demo=False, extra_env=env).start()


def _opens_with(server: ServerProcess, secret: str) -> bool:
    [(stored,)] = rows(server, "SELECT credentials FROM accounts WHERE key = ?", ACCOUNT)
    token = (json.loads(stored) if isinstance(stored, str) else stored)["sealed"]
    try:
        return json.loads(Fernet(derive_key(secret)).decrypt(token.encode()))["app_secret"] == APP_SECRET
    except InvalidToken:
        return False


def test_a_new_storage_secret_with_the_previous_one_reseals_every_account(sqlite_demo_dir: Path,
                                                                           tmp_path: Path) -> None:
    data_dir = copy_data_dir(sqlite_demo_dir, tmp_path / "data")
    old = (data_dir / "storage-secret").read_text().strip()  # the demo's generated secret sealed them
    new = "a-new-storage-secret-of-this-installation"

    server = _served(data_dir, XC_STORAGE_SECRET=new)  # forgot the previous secret: nothing opens
    try:
        assert signed_meta_text(server.base, ACCOUNT, APP_SECRET, new_phone()).status_code == 403
        assert _opens_with(server, old) and not _opens_with(server, new)  # and nothing was changed
    finally:
        server.stop()
    assert "cannot be decrypted" in server.log() and APP_SECRET not in server.log()

    server = _served(data_dir, XC_STORAGE_SECRET=new, XC_STORAGE_SECRET_PREVIOUS=f"some-older-one,{old}")
    try:
        assert signed_meta_text(server.base, ACCOUNT, APP_SECRET, new_phone()).status_code == 200
        assert _opens_with(server, new) and not _opens_with(server, old)
    finally:
        server.stop()

    server = _served(data_dir, XC_STORAGE_SECRET=new)  # the previous secret is no longer needed
    try:
        assert signed_meta_text(server.base, ACCOUNT, APP_SECRET, new_phone()).status_code == 200
    finally:
        server.stop()
    assert APP_SECRET not in server.log() and new not in server.log() and old not in server.log()
