"""Files of the conversations, for the signed-in browser (images, voice, documents in the chat).

The REST API serves them to bearer tokens; the desktop's <img> and <audio> elements cannot send one,
so this route reads the same session as the pages do and applies the same access rule.
"""
from __future__ import annotations

from fastapi.responses import FileResponse, JSONResponse, Response

from server.errors import ProductError
from server.ui import context


async def conversation_file(interaction_id: int, message_id: int) -> Response:
    principal = await context.principal()
    if principal is None:
        return JSONResponse({"error": {"code": "unauthorized", "message": "Sign in first."}}, status_code=401)
    try:
        path, content_type, filename = await context.services().interactions.file_of(
            principal, interaction_id, message_id)
    except ProductError as error:
        return JSONResponse({"error": {"code": error.code, "message": error.message}}, status_code=error.status)
    return FileResponse(path, media_type=content_type, filename=filename or None,
                        content_disposition_type="inline")
