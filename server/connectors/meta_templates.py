"""Meta's message template management (WhatsApp Business Management API) for one account.

`GET /{waba-id}/message_templates` lists the account's templates with their review status, a page at a
time (`paging.next` holds the next page's full URL); `POST /{waba-id}/message_templates` submits one for
review in the creation shape (components HEADER / BODY / FOOTER / BUTTONS, with example values for the
body's variables) and answers `{"id", "status", "category"}`. A timeout, a 429 or a 5xx is retried; every
failure ends as a ProviderError that says what Meta answered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from server.connectors.meta import _base, _bearer
from server.connectors.sending import SendFailed, json_error, refused, request, with_retries
from server.domain.templates import TemplateContent
from server.errors import Invalid, ProviderError
from server.persistence.models import Account
from server.persistence.credentials import credentials_of

FIELDS = "id,name,language,status,category,rejected_reason,components"
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 templates: far beyond Meta's per-account limit; a paging loop ends here
TOKEN_ERROR = 190  # Graph API: OAuthException, the access token is invalid or expired


@dataclass(frozen=True)
class MetaTemplate:
    """One template as Meta lists it: its review state and its parts (`""` and `()` when absent)."""

    id: str
    name: str
    language: str
    category: str
    status: str
    reason: str | None
    body: str
    header: str
    header_format: str  # TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION; "" without a header
    footer: str
    buttons: tuple[str, ...]
    other_buttons: tuple[str, ...]  # types of buttons other than quick replies (URL, PHONE_NUMBER, ...)


class MetaTemplates:
    """The template calls for Meta accounts, on the shared HTTP client."""

    def __init__(self, client: httpx.AsyncClient, retry_delays: tuple[float, ...]) -> None:
        self.client = client
        self.retry_delays = retry_delays

    async def templates(self, account: Account) -> list[MetaTemplate]:
        """Every template of the account's WhatsApp Business Account, following Meta's pages."""
        url = f"{_base(account)}/{waba_id(account)}/message_templates"
        params: dict[str, Any] | None = {"fields": FIELDS, "limit": PAGE_SIZE}
        found: list[MetaTemplate] = []
        for _ in range(MAX_PAGES):
            page = await self._call(account, "GET", url, params=params)
            items = page.get("data")
            if not isinstance(items, list):
                raise ProviderError("Meta's list of templates had no 'data' list.")
            found.extend(parse_template(item) for item in items if isinstance(item, dict))
            following = _next_page(account, page)
            if following is None:
                return found
            url, params = following, None  # the next URL carries its own query
        raise ProviderError(f"Meta's list of templates did not end after {MAX_PAGES} pages.")

    async def submit(self, account: Account, content: TemplateContent, examples: list[str]) -> tuple[str, str]:
        """Submit the template for review; Meta's id for it and its status (usually PENDING)."""
        url = f"{_base(account)}/{waba_id(account)}/message_templates"
        answer = await self._call(account, "POST", url, json=creation_shape(content, examples))
        if not answer.get("id"):
            raise ProviderError("Meta's answer to the template submission had no id.")
        return str(answer["id"]), str(answer.get("status") or "PENDING")

    async def _call(self, account: Account, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        async def once() -> dict[str, Any]:
            response = await request(self.client, "Meta", method, url, headers=_bearer(account), **kwargs)
            if response.status_code != 200:
                raise _failure(account, response)
            try:
                answer = response.json()
            except ValueError:
                raise ProviderError("Meta answered with something other than JSON.") from None
            if not isinstance(answer, dict):
                raise ProviderError("Meta answered with something other than a JSON object.")
            return answer

        try:
            return await with_retries(once, self.retry_delays, f"Meta templates ({method})")
        except SendFailed as failure:
            raise ProviderError(failure.reason) from None


def waba_id(account: Account) -> str:
    """The WhatsApp Business Account that owns the account's templates (credentials `waba_id`)."""
    if account.provider != "meta":
        raise Invalid(f"The account {account.key!r} is a {account.provider} account: templates are synced and "
                      "submitted for Meta accounts only.")
    value = str(credentials_of(account).get("waba_id") or "").strip()
    if not value:
        raise Invalid(f"The account {account.key!r} has no WhatsApp Business Account id: set waba_id in its "
                      "credentials.")
    return quote(value, safe="")


def creation_shape(content: TemplateContent, examples: list[str]) -> dict[str, Any]:
    """The template in Meta's creation shape; `examples`: one value per body variable, in order."""
    body: dict[str, Any] = {"type": "BODY", "text": content.body}
    if examples:
        body["example"] = {"body_text": [list(examples)]}
    components: list[dict[str, Any]] = []
    if content.header:
        components.append({"type": "HEADER", "format": "TEXT", "text": content.header})
    components.append(body)
    if content.footer:
        components.append({"type": "FOOTER", "text": content.footer})
    if content.buttons:
        components.append({"type": "BUTTONS",
                           "buttons": [{"type": "QUICK_REPLY", "text": text} for text in content.buttons]})
    return {"name": content.name, "language": content.language, "category": content.category.upper(),
            "components": components}


def parse_template(item: dict[str, Any]) -> MetaTemplate:
    parts = {str(c.get("type", "")).upper(): c for c in item.get("components") or [] if isinstance(c, dict)}
    header = parts.get("HEADER", {})
    buttons = [b for b in parts.get("BUTTONS", {}).get("buttons") or [] if isinstance(b, dict)]
    reason = str(item.get("rejected_reason") or "")
    return MetaTemplate(
        id=str(item.get("id") or ""), name=str(item.get("name") or ""), language=str(item.get("language") or ""),
        category=str(item.get("category") or "").lower(), status=str(item.get("status") or "UNKNOWN").upper(),
        reason=None if reason in ("", "NONE") else reason, body=str(parts.get("BODY", {}).get("text") or ""),
        header=str(header.get("text") or ""), header_format=str(header.get("format") or "").upper(),
        footer=str(parts.get("FOOTER", {}).get("text") or ""),
        buttons=tuple(str(b.get("text") or "") for b in buttons if str(b.get("type")).upper() == "QUICK_REPLY"),
        other_buttons=tuple(str(b.get("type")).upper() for b in buttons if str(b.get("type")).upper() != "QUICK_REPLY"))


def _next_page(account: Account, page: dict[str, Any]) -> str | None:
    """The next page's URL; only on the API's own host (the request carries the account's token)."""
    paging = page.get("paging")
    following = paging.get("next") if isinstance(paging, dict) else None
    if not following:
        return None
    ours, theirs = urlsplit(_base(account)), urlsplit(str(following))
    if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
        raise ProviderError(f"Meta's next page is on another host ({theirs.netloc}); not followed.")
    return str(following)


def _failure(account: Account, response: httpx.Response) -> Exception:
    """A refused call: an access token Meta does not take is named as such; 429 and 5xx are retried."""
    error = json_error(response, "error")
    if response.status_code == 401 or error.get("code") == TOKEN_ERROR:
        return ProviderError(f"Meta refused the access token of the account {account.key!r}: "
                             f"{error.get('message') or 'not valid'} (HTTP {response.status_code}).",
                             code="provider_auth")
    if response.status_code == 403:
        return ProviderError(f"Meta denied the account {account.key!r} access to its templates: "
                             f"{_meta_error(response)}.", code="provider_auth")
    return refused(response, f"Meta refused the request: {_meta_error(response)}.")


def _meta_error(response: httpx.Response) -> str:
    """Meta's own words: the message for people (`error_user_msg`) when it gives one, else the error's."""
    error = json_error(response, "error")
    if not error:
        return f"HTTP {response.status_code}"
    words = " ".join(str(error[k]) for k in ("error_user_title", "error_user_msg") if error.get(k))
    return f"{words or error.get('message') or 'refused'} (code {error.get('code')}, HTTP {response.status_code})"
