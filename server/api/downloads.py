"""How a stored file goes back to a browser or a provider: shown in the page only when its type is one a
browser renders harmlessly; anything else is a download, never sniffed, and sandboxed if opened."""
from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, Response

SHOWN_INLINE = {"image/jpeg", "image/png", "image/webp", "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4",
                "audio/ogg", "video/mp4", "video/3gpp"}


def file_response(path: Path, content_type: str, filename: str, *, for_provider: bool = False) -> FileResponse:
    """`for_provider`: a provider downloading our file reads its true type from the header (and never
    renders it); a browser gets other types as an opaque download."""
    inline = content_type in SHOWN_INLINE and not for_provider
    shown_type = content_type if inline or for_provider else "application/octet-stream"
    response = FileResponse(path, media_type=shown_type,
                            filename=filename or None, content_disposition_type="inline" if inline else "attachment")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def transcript_response(interaction_id: int, pdf: bytes) -> Response:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="interaction-{interaction_id}-transcript.pdf"',
        "Cache-Control": "no-store"})
