"""Files of the conversations, for the signed-in browser (images, voice, documents in the chat).

The REST API serves them to bearer tokens; the desktop's <img> and <audio> elements cannot send one,
so this route reads the same session as the pages do and applies the same access rule.
"""
from __future__ import annotations

from fastapi.responses import Response

from server.api.downloads import file_response, transcript_response
from server.api.errors import error_body
from server.errors import ProductError
from server.persistence.keys import row_id
from server.ui import context

NO_SUCH = "There is no such conversation or file."


async def conversation_file(interaction_id: int, message_id: int) -> Response:
    principal = await context.principal()
    if principal is None:
        return error_body(401, "unauthorized", "Sign in first.")
    if row_id(interaction_id) is None or row_id(message_id) is None:  # no row can have it
        return error_body(404, "not_found", NO_SUCH)
    try:
        path, content_type, filename = await context.services().interactions.file_of(
            principal, interaction_id, message_id)
    except ProductError as error:
        return error_body(error.status, error.code, error.message)
    return file_response(path, content_type, filename)


async def transcript(interaction_id: int) -> Response:
    """The conversation's PDF transcript for the signed-in browser (recorded like any download)."""
    principal = await context.principal()
    if principal is None:
        return error_body(401, "unauthorized", "Sign in first.")
    if row_id(interaction_id) is None:
        return error_body(404, "not_found", NO_SUCH)
    try:
        pdf = await context.services().transcripts.pdf(principal, interaction_id)
    except ProductError as error:
        return error_body(error.status, error.code, error.message)
    return transcript_response(interaction_id, pdf)
