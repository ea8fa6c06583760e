"""Headers on every answer (pages, API, webhooks) so that no other site can frame our pages, and browsers
neither guess content types nor hand our URLs to other sites."""
from __future__ import annotations

from starlette.types import Message, Send

# Only directives that cannot break a page: where it may be framed, what <base>, plugins and forms may point
# at. No script-src or style-src: NiceGUI (Vue and Quasar) runs inline scripts, inline styles and templates
# compiled with `new Function`, so such a policy would have to allow 'unsafe-inline' and 'unsafe-eval' and
# would protect nothing while risking a blank page.
POLICY = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'"

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),  # browsers that predate frame-ancestors
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # links in customers' messages do not learn our paths
)


def with_security_headers(send: Send) -> Send:
    """`send`, adding HEADERS to the response's start; a header the response set itself (a download's
    sandboxing policy) is kept as it is."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {name.lower() for name, _ in headers}
            headers.extend(header for header in HEADERS if header[0] not in present)
            message = {**message, "headers": headers}
        await send(message)

    return sending
