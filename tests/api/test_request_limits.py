"""Request bodies have a ceiling per route (small for JSON, the attachment limit for uploads, a provider's
batch for webhooks), refused with 413 as soon as it is passed, and every answer carries the headers that
keep our pages out of other sites' frames."""
from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.conftest import Desk, assert_error
from tests.serverproc import ServerProcess

MIB = 1024 * 1024


def _streamed_until_answered(server: ServerProcess, path: str, headers: dict[str, str], total: int,
                             start: bytes = b"{", chunk: int = 64 * 1024) -> tuple[bytes, int]:
    """POST a chunked body (`start`, then up to `total` spaces; no Content-Length), looking for an answer
    before each chunk; the answer's bytes and how much had been sent when it came (`total` if only after)."""
    where = urlsplit(server.base)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\nTransfer-Encoding: chunked\r\n{head}\r\n"
               ).encode()
    piece = f"{chunk:x}\r\n".encode() + b" " * chunk + b"\r\n"
    with socket.create_connection((where.hostname, where.port), timeout=30) as conn:
        conn.sendall(request + f"{len(start):x}\r\n".encode() + start + b"\r\n")
        sent = 0
        try:
            while sent < total and not select.select([conn], [], [], 0)[0]:
                conn.sendall(piece)
                sent += chunk
            if sent >= total:
                conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after answering
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + _length(answer):
            data = conn.recv(65536)
            if not data:
                break
            answer += data
    return answer, sent


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _status_and_error(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]


def test_a_streamed_login_body_is_refused_while_it_streams(demo_server: ServerProcess) -> None:
    answer, sent = _streamed_until_answered(demo_server, "/api/v1/auth/login",
                                            {"Content-Type": "application/json"}, total=64 * MIB)
    status, error = _status_and_error(answer)
    assert status == 413 and error["code"] == "too_large", answer[:300]
    assert sent < 64 * MIB  # answered long before the client was done sending
    assert httpx.get(demo_server.base + "/healthz").status_code == 200


def test_a_declared_length_over_the_ceiling_is_refused_before_the_body_is_read(demo_server: ServerProcess) -> None:
    r = httpx.post(demo_server.base + "/api/v1/auth/login", content=b"{" + b" " * (128 * 1024) + b"}",
                   headers={"Content-Type": "application/json"})
    assert "KB" in assert_error(r, 413, "too_large")["message"]


def test_a_json_body_of_an_ordinary_size_still_works(demo_server: ServerProcess) -> None:
    padded = {"username": "agent1", "password": "demo", "padding": "x" * 16_000}
    assert httpx.post(demo_server.base + "/api/v1/auth/login", json=padded).status_code == 200


@pytest.mark.parametrize("path", ["/interactions/1/notes", "/interactions/1/messages"])
def test_an_api_json_body_over_the_ceiling_is_refused(desk: Desk, path: str) -> None:
    """The send route takes files up to the attachment limit, but a JSON text only up to the JSON ceiling."""
    r = desk["agent1"].post(path, content=b'{"text": "' + b"x" * (2 * MIB) + b'"}',
                            headers={"Content-Type": "application/json"})
    assert_error(r, 413, "too_large")


def test_an_upload_over_the_attachment_limit_is_refused_while_it_streams(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    token = desk["agent1"].headers["Authorization"]
    boundary = "b0undary"
    answer, sent = _streamed_until_answered(
        desk.server, f"/api/v1/interactions/{interaction_id}/messages",
        {"Authorization": token, "Content-Type": f"multipart/form-data; boundary={boundary}"}, total=200 * MIB,
        start=(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode())
    status, error = _status_and_error(answer)
    # Whichever counts past the limit first refuses it: the body's ceiling (the limit plus the form's
    # overhead) as the bytes arrive, or the attachment rule as the file is written (under a busy machine
    # the form parser may hand the file on before the ceiling is passed).
    assert (status, error["code"]) in ((413, "too_large"), (422, "file_too_large")), error
    assert "15 MB" in error["message"]
    assert sent < 200 * MIB
    assert desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["total"] == 1  # nothing stored
    desk.close("agent1", interaction_id)


def test_the_page_upload_route_has_the_attachment_limit(demo_server: ServerProcess) -> None:
    r = httpx.post(demo_server.base + "/_nicegui/client/abc/upload/7", content=b"x" * (16 * MIB),
                   headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_error(r, 413, "too_large")


def test_a_provider_webhook_over_a_megabyte_is_refused(demo_server: ServerProcess) -> None:
    r = httpx.post(demo_server.base + "/webhooks/meta/meta-demo", content=b"{" + b" " * (2 * MIB) + b"}",
                   headers={"Content-Type": "application/json"})
    assert_error(r, 413, "too_large")
    answer, sent = _streamed_until_answered(demo_server, "/webhooks/sandbox/sandbox",
                                            {"Content-Type": "application/json"}, total=64 * MIB)
    assert _status_and_error(answer)[0] == 413 and sent < 64 * MIB


def _answers(server: ServerProcess) -> Iterator[httpx.Response]:
    yield httpx.get(server.base + "/login")
    yield httpx.get(server.base + "/healthz")
    yield httpx.get(server.base + "/api/v1/me")
    yield httpx.post(server.base + "/api/v1/auth/login", json={"username": "agent1", "password": "demo"})
    yield httpx.post(server.base + "/webhooks/sandbox/no-such-account", json={})


def test_every_answer_forbids_framing_and_sniffing(demo_server: ServerProcess) -> None:
    for r in _answers(demo_server):
        assert r.headers["x-frame-options"] == "DENY", r.url
        policy = [part.strip() for part in r.headers["content-security-policy"].split(";")]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, r.url
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["referrer-policy"] == "same-origin", r.url


@pytest.mark.parametrize("path", ["/login", "/api/v1/me"])
def test_security_headers_are_sent_once(demo_server: ServerProcess, path: str) -> None:
    r = httpx.get(demo_server.base + path)
    assert len(r.headers.get_list("x-frame-options")) == 1
    assert len(r.headers.get_list("content-security-policy")) == 1
