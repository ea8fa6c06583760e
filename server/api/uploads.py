"""A multipart/form-data body read as a stream: the file part's bytes are handed on as they arrive, so
a file is checked and stored without ever being held whole in memory (and refused as soon as it is
too large). Text fields may come before or after the file; those after it are known once the file's
chunks have been consumed."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from server.errors import Invalid

MAX_FIELD = 16 * 1024


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)


class Upload:
    """One file (`filename`, `content_type`, `chunks()`) and the text `fields` around it."""

    def __init__(self, request: Request) -> None:
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or not options.get(b"boundary"):
            raise Invalid("Expected multipart/form-data with a boundary.")
        self.fields: dict[str, str] = {}
        self.filename = ""
        self.content_type = ""
        self._stream = request.stream()
        self._events: list[tuple[str, _Part, bytes]] = []
        self._part = _Part()
        self._header = [b"", b""]
        self._file_seen = self._file_done = False
        self._parser = MultipartParser(options[b"boundary"], {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end})

    async def open(self) -> Upload:
        """Read up to the start of the file's content; Invalid when the body has no file."""
        async for kind, part, _ in self._read():
            if kind == "file":
                self.filename, self.content_type = part.filename or "", part.content_type
                return self
        raise Invalid("The form has no file.")

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, then the rest of the form (its later fields land in `fields`)."""
        async for kind, _, data in self._read():
            if kind == "data":
                yield data
        if not self._file_done:
            raise Invalid("The upload was cut short.")

    async def _read(self) -> AsyncIterator[tuple[str, _Part, bytes]]:
        while True:
            while self._events:
                yield self._events.pop(0)
            try:
                chunk = await anext(self._stream)
            except StopAsyncIteration:
                return
            except ClientDisconnect:
                raise Invalid("The upload was cut short.") from None
            try:
                self._parser.write(chunk)
            except MultipartParseError as error:
                raise Invalid(f"The form is malformed: {error}") from None

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._header[0].lower()] = self._header[1]
        self._header = [b"", b""]

    def _headers_done(self) -> None:
        _, disposition = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        self._part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disposition:
            self._part.filename = disposition[b"filename"].decode("utf-8", "replace")
            self._part.content_type = self._part.headers.get(b"content-type", b"").decode("latin-1").strip()
            if self._file_seen:
                raise Invalid("Send one file per message.")
            self._file_seen = True
            self._events.append(("file", self._part, b""))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part.filename is not None:
            self._events.append(("data", self._part, bytes(data[start:end])))
            return
        self._part.data += data[start:end]
        if len(self._part.data) > MAX_FIELD:
            raise Invalid(f"The field {self._part.name!r} is too long.")

    def _end(self) -> None:
        if self._part.filename is not None:
            self._file_done = True
        else:
            self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")
