"""Voice messages recorded in the browser: Chromium's MediaRecorder writes Opus in a WebM container,
which WhatsApp does not take; the same Opus packets are moved into an Ogg container (no re-encoding),
the form WhatsApp plays as a voice note."""
from __future__ import annotations

from pathlib import Path

import av
from av.stream import Stream

from server.errors import Invalid

RECORDED = ("audio/webm",)


def webm_to_ogg(source: Path, target: Path) -> None:
    """Remux the Opus audio of a WebM file into an Ogg file; Invalid when it holds no Opus audio."""
    try:
        with av.open(str(source)) as recording, av.open(str(target), "w", format="ogg") as voice:
            audios: list[Stream | None] = [s for s in recording.streams if s.type == "audio"]
            [audio] = audios or [None]
            if audio is None or audio.codec_context.name != "opus":
                raise Invalid("The recording holds no Opus audio.", code="unsupported_media")
            out = voice.add_stream_from_template(audio)
            for packet in recording.demux(audio):
                if packet.dts is None:
                    continue
                packet.stream = out
                voice.mux(packet)
    except av.FFmpegError as error:
        raise Invalid(f"The recording could not be read: {error}", code="unsupported_media") from None
