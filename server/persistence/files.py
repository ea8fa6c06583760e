"""Media files under the data dir, named by their sha256 (one copy per distinct file).

A file is written as a stream to a temporary name, hashed and counted on the way, and refused the
moment it outgrows its limit; only a complete file is renamed into place (and synced first), so a
crash never leaves half a file under a real name.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import uuid
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileTooLarge(Exception):
    pass


class MediaFiles:
    def __init__(self, root: Path, secret: str) -> None:
        self.root = root
        self._secret = secret.encode()
        (root / "incoming").mkdir(parents=True, exist_ok=True)

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

    def link_token(self, attachment_id: int) -> str:
        """The signature that lets a provider download one attachment from us without logging in."""
        return hmac.new(self._secret, f"attachment:{attachment_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def token_matches(self, attachment_id: int, token: str) -> bool:
        return hmac.compare_digest(self.link_token(attachment_id), token)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sync(out) -> None:  # type: ignore[no-untyped-def]
    out.flush()
    os.fsync(out.fileno())
