"""Which of our Meta accounts a change of a delivery is for.

Meta sends the events of every number of an app to the one callback URL of the app, so the account named in
the URL only says whose app secret signed the delivery. Each change names its number
(`metadata.phone_number_id`, or only the display number): it goes to the account that has that number and
the same app secret (one app's secret never routes into another app's account); to none if no account has
it (the caller keeps it unrouted); to the URL's account when the change names no number at all.
"""
from __future__ import annotations

import hmac

from server.domain.phone import customer_address
from server.errors import Invalid
from server.persistence.credentials import credentials_of
from server.persistence.models import Account


class MetaNumbers:
    def __init__(self) -> None:
        self._accounts: list[tuple[Account, str, str, str]] | None = None  # (account, number id, number, secret)

    def forget(self) -> None:
        """Call after any account changes."""
        self._accounts = None

    async def account_for(self, signed_by: Account, phone_number_id: str, display_number: str) -> Account | None:
        if not phone_number_id and not display_number:
            return signed_by
        known = await self._known()
        secret = next((k[3] for k in known if k[0].id == signed_by.id), None)
        if secret is None:  # created since the list was read
            self.forget()
            known = await self._known()
            secret = next((k[3] for k in known if k[0].id == signed_by.id), "")
        for account, number_id, number, account_secret in known:
            same_app = hmac.compare_digest(account_secret.encode(), secret.encode())
            if same_app and (number_id == phone_number_id if phone_number_id else number == _number(display_number)):
                return account
        return None

    async def _known(self) -> list[tuple[Account, str, str, str]]:
        if self._accounts is None:
            found = []
            for account in await Account.filter(provider="meta").order_by("id"):
                credentials = credentials_of(account)
                found.append((account, str(credentials.get("phone_number_id") or ""), _number(account.phone_number),
                              str(credentials.get("app_secret") or "")))
            self._accounts = found
        return self._accounts


def _number(text: str) -> str:
    try:
        return customer_address(text) if text else ""
    except Invalid:
        return ""
