"""Which files each provider carries to WhatsApp, and how large they may be."""
from __future__ import annotations

import mimetypes

from server.errors import Invalid

MB = 1024 * 1024

# WhatsApp's own media types and limits (the Cloud API's table; the other providers relay to it).
WHATSAPP_MEDIA: dict[str, tuple[str, int]] = {
    "image/jpeg": ("image", 5 * MB), "image/png": ("image", 5 * MB),
    "image/webp": ("sticker", 100 * 1024),
    "audio/aac": ("audio", 16 * MB), "audio/amr": ("audio", 16 * MB), "audio/mpeg": ("audio", 16 * MB),
    "audio/mp4": ("audio", 16 * MB), "audio/ogg": ("audio", 16 * MB),
    "video/mp4": ("video", 16 * MB), "video/3gpp": ("video", 16 * MB),
    "text/plain": ("document", 100 * MB), "application/pdf": ("document", 100 * MB),
    "application/msword": ("document", 100 * MB), "application/vnd.ms-excel": ("document", 100 * MB),
    "application/vnd.ms-powerpoint": ("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("document", 100 * MB),
}
LARGEST_INBOUND = max(limit for _, limit in WHATSAPP_MEDIA.values())

# Twilio refuses any WhatsApp media larger than 16 MB, documents included.
PROVIDER_CAP = {"twilio": 16 * MB}


def content_type_of(declared: str, filename: str) -> str:
    """The file's media type: as declared, or guessed from its name when the browser did not know it."""
    declared = declared.split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    return (mimetypes.guess_type(filename)[0] or "application/octet-stream").lower()


def outbound_limit(provider: str, content_type: str, admin_max_mb: int) -> tuple[str, int]:
    """(WhatsApp media kind, byte limit) for sending this type through `provider`; Invalid when WhatsApp
    does not carry the type."""
    rule = WHATSAPP_MEDIA.get(content_type)
    if rule is None:
        raise Invalid(f"WhatsApp cannot carry {content_type} files. Send an image (JPEG, PNG), audio (AAC, "
                      "AMR, MP3, MP4, OGG), video (MP4, 3GP) or document (PDF, text, Word, Excel, PowerPoint).",
                      code="unsupported_media")
    kind, limit = rule
    return kind, min(limit, PROVIDER_CAP.get(provider, limit), admin_max_mb * MB)


def too_large(kind: str, limit: int) -> Invalid:
    return Invalid(f"This {kind} is too large: at most {_size(limit)} may be sent here.", code="file_too_large")


def _size(count: int) -> str:
    return f"{count // MB} MB" if count >= MB else f"{count // 1024} KB"
