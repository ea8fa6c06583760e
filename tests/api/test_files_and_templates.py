"""Sending a file (multipart) and a template over HTTP, and downloading a stored file (SPEC D6, W4, W5, T3)."""
from __future__ import annotations

import os
import socket

import httpx

from tests.api.conftest import Desk, assert_error, eventually

PDF = b"%PDF-1.4\n" + os.urandom(40_000)


def test_a_file_with_a_caption_is_sent_and_downloaded_by_its_readers_only(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    r = desk["agent1"].post(f"/interactions/{interaction_id}/messages", data={"text": "Your contract"},
                            files={"file": ("contract.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["kind"] == "document" and sent["text"] == "Your contract" and sent["direction"] == "out"
    assert sent["attachment"]["filename"] == "contract.pdf" and sent["attachment"]["size"] == len(PDF)
    eventually(lambda: desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"][-1][
        "status"] == "sent")
    url = sent["attachment"]["url"].removeprefix("/api/v1")
    for reader in ("agent1", "supervisor"):
        got = desk[reader].get(url)
        assert got.status_code == 200 and got.content == PDF
        # Not a type a browser shows harmlessly: a download, never sniffed, sandboxed if opened.
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"].startswith("sandbox")
    assert_error(desk["agent2"].get(url), 403)
    assert_error(httpx.get(f"{desk.server.base}/api/v1{url}"), 401)
    desk.close("agent1", interaction_id)


def test_a_caption_after_the_file_and_a_file_type_guessed_from_its_name(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    boundary = "----b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"plain words" + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nsee notes\r\n--{boundary}--\r\n"
    ).encode()
    r = desk["agent1"].post(f"/interactions/{interaction_id}/messages", content=body,
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 201, r.text
    assert r.json()["text"] == "see notes" and r.json()["attachment"]["content_type"] == "text/plain"
    desk.close("agent1", interaction_id)


def test_bad_uploads_get_a_clear_error_and_store_nothing(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    path = f"/interactions/{interaction_id}/messages"
    too_big = desk["agent1"].post(path, files={"file": ("photo.png", b"\x89PNG" + bytes(5 * 2**20), "image/png")})
    assert "5 MB" in assert_error(too_big, 422, "file_too_large")["message"]
    assert_error(desk["agent1"].post(path, files={"file": ("a.gif", b"GIF89a", "image/gif")}), 422, "unsupported_media")
    assert_error(desk["agent1"].post(path, data={"text": "no file"}, files={"x": (None, "y")}), 422)
    assert_error(desk["agent1"].post(path, content=b"--x\r\nbroken", headers={
        "Content-Type": "multipart/form-data; boundary=x"}), 422)
    assert_error(desk["agent1"].post(path, files=[("file", ("a.txt", b"a", "text/plain")),
                                                  ("file", ("b.txt", b"b", "text/plain"))]), 422)
    items = desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["direction"] for m in items] == ["in"]
    desk.close("agent1", interaction_id)


def test_an_oversized_upload_is_answered_before_the_client_has_sent_it_all(desk: Desk) -> None:
    """A 60 MB body: the server refuses it after reading no more than the limit."""
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    host, port = desk.server.base.removeprefix("http://").split(":")
    boundary = "bigbound"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode()
    total = len(head) + 60 * 2**20
    request = (f"POST /api/v1/interactions/{interaction_id}/messages HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: {desk['agent1'].headers['Authorization']}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n").encode()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request + head)
        chunk = bytes(256 * 1024)
        conn.settimeout(0.0)
        answer = b""
        while sent < 60 * 2**20:
            try:
                answer += conn.recv(65536)
            except BlockingIOError:
                pass
            if b"\r\n\r\n" in answer:
                break
            try:
                sent += conn.send(chunk)
            except (BlockingIOError, ConnectionError):
                pass
        conn.settimeout(10)
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]  # its declared length is over the limit
    assert sent < 40 * 2**20  # the server did not wait for the rest (limit 15 MB, plus socket buffers)
    desk.close("agent1", interaction_id)


def test_a_template_is_rendered_with_its_variables_and_sent(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    path = f"/interactions/{interaction_id}/messages"
    r = desk["agent1"].post(path, json={"template": "order_update", "variables": ["Paola", "A-1742"]})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "template" and r.json()["text"] == "Hi Paola, your order A-1742 is on its way."
    assert_error(desk["agent1"].post(path, json={"template": "order_update", "variables": ["only one"]}), 422)
    assert_error(desk["agent1"].post(path, json={"template": "no_such_template"}), 404)
    assert_error(desk["agent1"].post(path, json={"template": "order_update", "variables": "Paola"}), 422)
    desk.close("agent1", interaction_id)
