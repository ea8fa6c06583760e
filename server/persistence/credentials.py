"""Provider credentials, encrypted at rest: the one place that reads and writes `Account.credentials`.

The JSON column holds `{"sealed": "<Fernet token>"}`; the Fernet key is derived (HKDF-SHA256) from the
server's storage secret (XC_STORAGE_SECRET, or the secret generated once into the data dir). Rows written
before encryption existed (or by tools that write the table directly) hold the plain object: they are still
read, and `reseal_rows` encrypts them at start-up.

Rotating the secret: start with the new XC_STORAGE_SECRET and the old one in XC_STORAGE_SECRET_PREVIOUS;
tokens of a previous secret are still opened, and `reseal_rows` encrypts them again with the new one at
start-up, after which the previous secret can be dropped. Nothing here logs a value.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import OrderedDict
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.persistence.models import Account

log = logging.getLogger(__name__)

SEALED = "sealed"
_INFO = b"xc account credentials v1"
_CACHE_SIZE = 256  # decrypted objects by token: a webhook must not pay an AES round per request

_current: Fernet | None = None  # seals
_any: MultiFernet | None = None  # opens: the current key, then previous ones
_opened: OrderedDict[str, dict[str, Any]] = OrderedDict()


def derive_key(secret: str) -> bytes:
    """The Fernet key of a storage secret (HKDF-SHA256, no salt: the secret is random and per installation)."""
    if not secret:
        raise ValueError("A storage secret is needed to encrypt provider credentials.")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def configure(secret: str, previous: tuple[str, ...] = ()) -> None:
    """Called once at start-up with the server's storage secret, and any previous ones still to open."""
    global _current, _any
    _current = Fernet(derive_key(secret))
    _any = MultiFernet([_current, *(Fernet(derive_key(s)) for s in previous if s)])
    _opened.clear()


def _keys() -> tuple[Fernet, MultiFernet]:
    if _current is None or _any is None:
        raise RuntimeError("credentials.configure() was not called at start-up.")
    return _current, _any


def seal(values: dict[str, Any]) -> dict[str, str]:
    """What to store in `Account.credentials` for these values (an empty object stays empty: nothing to hide)."""
    if not values:
        return {}
    token = _keys()[0].encrypt(json.dumps(values, sort_keys=True).encode()).decode()
    return {SEALED: token}


def is_sealed(stored: Any) -> bool:
    return isinstance(stored, dict) and set(stored) == {SEALED} and isinstance(stored[SEALED], str)


def open_stored(stored: Any, owner: str = "") -> dict[str, Any]:
    """The plain credentials of a stored value: decrypted when sealed, as they are when written before
    encryption. A token this server's key cannot open gives no credentials (and an error in the log)."""
    if not is_sealed(stored):
        return dict(stored) if isinstance(stored, dict) else {}
    token = stored[SEALED]
    cached = _opened.get(token)
    if cached is not None:
        _opened.move_to_end(token)
        return dict(cached)
    try:
        values = json.loads(_keys()[1].decrypt(token.encode()))
    except (InvalidToken, ValueError):
        log.error("the credentials of account %s cannot be decrypted with this server's storage secret", owner)
        return {}
    _opened[token] = values
    while len(_opened) > _CACHE_SIZE:
        _opened.popitem(last=False)
    return dict(values)


def credentials_of(account: Account) -> dict[str, Any]:
    """The account's credentials in plain form, for connectors: signature checks, sends, media downloads."""
    return open_stored(account.credentials, account.key)


def fingerprint(values: dict[str, Any]) -> str:
    """A short digest of credentials, to key caches of what was obtained with them (e.g. access tokens)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


async def reseal_rows() -> int:
    """Encrypt with the current key every account whose credentials are stored in plain form or sealed with a
    previous secret; returns how many. Rows no key opens stay as they are (and are logged)."""
    current, any_key = _keys()
    count = 0
    for account in await Account.all():
        stored = account.credentials
        if not stored:
            continue
        if not is_sealed(stored):
            resealed = seal(dict(stored))
        else:
            token = stored[SEALED].encode()
            try:
                current.decrypt(token)
                continue  # already sealed with the current key
            except InvalidToken:
                pass
            try:
                resealed = {SEALED: any_key.rotate(token).decode()}
            except InvalidToken:
                log.error("the credentials of account %s cannot be decrypted with the storage secret or a "
                          "previous one", account.key)
                continue
        await Account.filter(id=account.id).update(credentials=resealed)
        count += 1
    if count:
        log.info("encrypted the provider credentials of %d account(s) with the current storage secret", count)
    return count
