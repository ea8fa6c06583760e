"""Media files under the data dir, named by their sha256 (one copy per distinct file).

A file is written as a stream to a temporary name, hashed and counted on the way, and refused the
moment it outgrows its limit; only a complete file is renamed into place (and synced first), so a
crash never leaves half a file under a real name (what a crash left in `incoming/` is removed at start).

A provider downloads our outbound files through signed links that expire after LINK_LIFETIME; they are
signed with a key derived from the storage secret for this one use.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
import uuid
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LINK_LIFETIME = 24 * 3600  # seconds a signed link to an outbound file stays valid


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileTooLarge(Exception):
    pass


class MediaFiles:
    def __init__(self, root: Path, secret: str) -> None:
        self.root = root
        self._link_key = hmac.new(secret.encode(), b"media-links", hashlib.sha256).digest()
        incoming = root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        for leftover in incoming.iterdir():  # temporary files of a write cut short by a crash
            if leftover.is_file() or leftover.is_symlink():
                leftover.unlink(missing_ok=True)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    async def write(self, chunks: AsyncIterable[bytes], limit: int,
                    on_limit: Callable[[], Exception] = FileTooLarge) -> StoredFile:
        """Store a stream; raises `on_limit()` (and keeps nothing) once more than `limit` bytes came."""
        temporary = self.root / "incoming" / uuid.uuid4().hex
        digest, size = hashlib.sha256(), 0
        try:
            with open(temporary, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise on_limit()
                    digest.update(chunk)
                    out.write(chunk)
                await asyncio.to_thread(_sync, out)
            sha256 = digest.hexdigest()
            target = self.path_of(sha256)
            target.parent.mkdir(exist_ok=True)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return StoredFile(sha256, size)

    def scratch(self) -> Path:
        """A fresh temporary path beside the store (same file system), for a file being made."""
        return self.root / "incoming" / uuid.uuid4().hex

    async def adopt(self, path: Path) -> StoredFile:
        """Store a finished file made under `scratch()` (it is moved, not copied, once hashed)."""
        digest = await asyncio.to_thread(_sha256_of, path)
        target = self.path_of(digest)
        target.parent.mkdir(exist_ok=True)
        size = path.stat().st_size
        os.replace(path, target)
        return StoredFile(digest, size)

    def forget(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def link_token(self, attachment_id: int, now: float | None = None) -> str:
        """`<expires epoch>.<signature>`: lets a provider download one attachment from us without logging in,
        for LINK_LIFETIME from `now`."""
        expires = int(time.time() if now is None else now) + LINK_LIFETIME
        return f"{expires}.{self._signature(attachment_id, expires)}"

    def token_matches(self, attachment_id: int, token: str, now: float | None = None) -> bool:
        """The token was signed by us for this attachment and has not expired."""
        expires, _, signature = token.partition(".")
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
            return False
        if not hmac.compare_digest(self._signature(attachment_id, int(expires)).encode(), signature.encode()):
            return False
        return int(expires) > (time.time() if now is None else now)

    def _signature(self, attachment_id: int, expires: int) -> str:
        return hmac.new(self._link_key, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())
