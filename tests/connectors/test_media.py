"""Media (SPEC W5): inbound files fetched from the provider after the message is stored, kept by sha256
under the data dir and served to those who may read the conversation; outbound files checked against
the provider's limits while they stream in, then uploaded (Meta) or linked (Twilio) as each requires."""
from __future__ import annotations

import array
import base64
import hashlib
import hmac
import io
import json
import math
import os
import uuid

import av
import httpx
import pytest

from server.connectors.twilio import parse_message as twilio_message
from server.connectors.webhooks import webhook_app
from server.errors import Conflict, Forbidden, Invalid
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Attachment, Message, Queue
from tests.actors.harness import Core
from tests.actors.test_races import inbound, wait_until
from tests.connectors.fake_providers import Answer, FakeGraph, FakeTwilio

APP_SECRET = "meta-secret"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)


class StreamedFile:
    """An upload as the API hands it to the service: a stream of chunks, counted as they are read."""

    def __init__(self, filename: str, content_type: str, size: int, chunk: int = 64 * 1024,
                 fields: dict[str, str] | None = None, content: bytes | None = None) -> None:
        self.filename, self.content_type, self.fields = filename, content_type, fields or {}
        self.content = content if content is not None else os.urandom(size)
        self.chunk, self.consumed = chunk, 0

    async def chunks(self):
        for start in range(0, len(self.content), self.chunk):
            piece = self.content[start:start + self.chunk]
            self.consumed += len(piece)
            yield piece


@pytest.fixture
def fakes():
    graph, twilio = FakeGraph().start(), FakeTwilio().start()
    yield graph, twilio
    graph.stop()
    twilio.stop()


@pytest.fixture
def core(tmp_path, fakes):
    graph, twilio = fakes
    core = Core(tmp_path, send_retry_delays=(0.05, 0.1), send_timeout=0.5, public_url="https://cc.example.com")
    core.agents = core.workspace(2)

    async def accounts() -> None:
        await open_database(core.settings.resolved_database_url)
        queue = await Queue.get(name="Q1")
        await Account.create(key="meta-m", provider="meta", queue=queue, api_base_url=graph.base, credentials={
            "phone_number_id": "1098765", "access_token": "token-123", "app_secret": APP_SECRET})
        await Account.create(key="tw-m", provider="twilio", queue=queue, phone_number="+15550001111",
                             api_base_url=twilio.base, credentials={"account_sid": "AC123", "auth_token": "tok"})
        await close_database()

    core.call(accounts())
    core.start()
    core.hooks = httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook_app(lambda: core.services)),
                                   base_url="http://test")
    yield core
    core.call(core.hooks.aclose())
    core.close()


def owned_conversation(core, account_key: str, provider: str, phone: str) -> int:
    services, agent = core.services, core.agents[0]
    core.call(services.agents.set_state(agent, "online", None))
    account = core.call(services.inbound.account(account_key, provider))
    interaction_id = inbound(core, account, f"in-{uuid.uuid4().hex}", phone).interaction_id
    wait_until(lambda: core.call(services.agents.offers(agent)))
    core.call(services.agents.accept(agent, interaction_id))
    return interaction_id


def meta_image(core, media_id: str, phone: str = "393470000001") -> httpx.Response:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Ada"}, "wa_id": phone}],
        "messages": [{"from": phone, "id": f"wamid.{media_id}", "timestamp": "1764100000", "type": "image",
                      "image": {"id": media_id, "mime_type": "image/png", "sha256": "x", "caption": "my receipt"}}]}}]}]}
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return core.call(core.hooks.post("/webhooks/meta/meta-m", content=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature}))


def attachment_of(core, provider_message_id: str) -> Attachment:
    return core.call(Attachment.get(message__external_key__endswith=f":{provider_message_id}"))


def stored_files(core) -> list[str]:
    root = core.settings.data_dir / "media"
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_an_inbound_image_is_fetched_kept_by_its_sha256_and_served_to_who_may_read_it(core, fakes):
    graph, _ = fakes
    graph.files["media-1"] = (PNG, "image/png")
    services, owner, other = core.services, core.agents[0], core.agents[1]
    core.call(services.agents.set_state(owner, "online", None))
    assert meta_image(core, "media-1").json()["stored"] == 1
    wait_until(lambda: attachment_of(core, "wamid.media-1").state == "stored", timeout=5)
    file = attachment_of(core, "wamid.media-1")
    assert (file.content_type, file.size, file.sha256) == ("image/png", len(PNG), hashlib.sha256(PNG).hexdigest())
    assert graph.downloads == [{"path": "/files/media-1", "authorization": "Bearer token-123"}]
    assert stored_files(core) == [file.sha256]
    message = core.call(Message.get(id=file.message_id))  # type: ignore[attr-defined]
    assert (message.kind, message.text) == ("image", "[image] my receipt")

    interaction_id = core.call(Message.get(id=message.id).values_list("interaction_id", flat=True))
    wait_until(lambda: core.call(services.agents.offers(owner)))
    core.call(services.agents.accept(owner, interaction_id))
    [view] = core.call(services.interactions.messages(owner, interaction_id))
    assert view["attachment"] == {"content_type": "image/png", "filename": "", "size": len(PNG), "state": "stored",
                                  "error": None,
                                  "url": f"/api/v1/interactions/{interaction_id}/messages/{message.id}/file"}
    path, content_type, _ = core.call(services.interactions.file_of(owner, interaction_id, message.id))
    assert path.read_bytes() == PNG and content_type == "image/png"
    with pytest.raises(Forbidden):
        core.call(services.interactions.file_of(other, interaction_id, message.id))
    assert meta_image(core, "media-1").json()["duplicates"] == 1  # a retry fetches nothing again
    assert len(graph.downloads) == 1


def test_a_failing_download_is_retried_and_a_refusal_marks_the_file_failed_with_the_reason(core, fakes):
    graph, _ = fakes
    graph.files["media-2"] = (PNG, "image/png")
    graph.download_script = [Answer(500), Answer(503)]
    meta_image(core, "media-2", "393470000002")
    wait_until(lambda: attachment_of(core, "wamid.media-2").state == "stored", timeout=5)
    assert len(graph.downloads) == 3

    meta_image(core, "media-unknown", "393470000003")  # the Graph API does not know this id
    wait_until(lambda: attachment_of(core, "wamid.media-unknown").state == "failed", timeout=5)
    failed = attachment_of(core, "wamid.media-unknown")
    assert "Unknown media" in failed.error and failed.sha256 is None
    assert core.call(Message.filter(external_key__endswith=":wamid.media-unknown").count()) == 1  # the text stays


def test_media_still_pending_when_the_server_stopped_is_fetched_after_the_restart(core, fakes):
    graph, _ = fakes
    graph.files["media-3"] = (PNG, "image/png")
    core.services.media.enqueue = lambda attachment_id: None  # stops before fetching anything
    meta_image(core, "media-3", "393470000004")
    assert attachment_of(core, "wamid.media-3").state == "pending"
    core.stop()
    core.start()
    wait_until(lambda: attachment_of(core, "wamid.media-3").state == "stored", timeout=5)


def test_twilio_media_is_fetched_with_the_account_credentials_which_never_go_to_another_host(core, fakes):
    _, twilio = fakes
    twilio.files["ME1"] = (b"%PDF-1.4 invoice", "application/pdf")
    account = core.call(core.services.inbound.account("tw-m", "twilio"))
    media_url = f"{twilio.base}/Accounts/AC123/Messages/MM1/Media/ME1"
    core.call(core.services.inbound.receive_all(account, [
        twilio_message({
            "MessageSid": "MM1", "From": "whatsapp:+5511987650001", "NumMedia": "1",
            "MediaContentType0": "application/pdf", "MediaUrl0": media_url, "Body": ""})]))
    wait_until(lambda: attachment_of(core, "MM1").state == "stored", timeout=5)
    assert twilio.downloads[0]["authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    elsewhere = core.call(core.services.media.locators["twilio"].locate_media(account, "https://cdn.example.net/x"))
    assert "authorization" not in elsewhere.headers


def test_an_image_goes_to_meta_by_upload_with_its_caption(core, fakes):
    graph, _ = fakes
    interaction_id = owned_conversation(core, "meta-m", "meta", "+393470000010")
    upload = StreamedFile("receipt.png", "image/png", 0, content=PNG, fields={"text": "Here it is"})
    sent = core.call(core.services.interactions.send_file(core.agents[0], interaction_id, upload))
    assert sent["kind"] == "image" and sent["text"] == "Here it is" and sent["attachment"]["size"] == len(PNG)
    wait_until(lambda: core.call(Message.get(id=sent["id"])).status == "sent", timeout=5)
    [up] = graph.uploads
    assert up["fields"] == {"messaging_product": "whatsapp", "type": "image/png"} and up["content"] == PNG
    assert up["authorization"] == "Bearer token-123" and up["filename"] == "receipt.png"
    assert graph.requests[-1]["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual",
                                          "to": "393470000010", "type": "image",
                                          "image": {"id": "media-up-1", "caption": "Here it is"}}


def test_twilio_gets_a_signed_link_that_serves_the_file_and_nothing_else(core, fakes):
    _, twilio = fakes
    interaction_id = owned_conversation(core, "tw-m", "twilio", "+5511987650002")
    pdf = b"%PDF-1.4 " + os.urandom(2000)
    sent = core.call(core.services.interactions.send_file(
        core.agents[0], interaction_id, StreamedFile("terms.pdf", "application/octet-stream", 0, content=pdf)))
    assert sent["kind"] == "document" and sent["attachment"]["content_type"] == "application/pdf"
    wait_until(lambda: core.call(Message.get(id=sent["id"])).status == "sent", timeout=5)
    form = twilio.requests[-1]["form"]
    assert form["Body"] == "" and form["MediaUrl"].startswith("https://cc.example.com/media/")
    link = form["MediaUrl"].removeprefix("https://cc.example.com")
    got = core.call(core.hooks.get(link))
    assert got.status_code == 200 and got.content == pdf and got.headers["content-type"] == "application/pdf"
    attachment_id, token = link.split("/")[2:4]
    for forged in (f"/media/{attachment_id}/{'0' * len(token)}", f"/media/{int(attachment_id) + 1}/{token}"):
        assert core.call(core.hooks.get(forged)).status_code == 404


@pytest.mark.parametrize("provider, filename, content_type, limit, code", [
    ("meta", "big.png", "image/png", 5 * 2**20, "file_too_large"),      # Meta: images up to 5 MB
    ("twilio", "big.pdf", "application/pdf", 15 * 2**20, "file_too_large"),  # the admin's 15 MB (Twilio: 16)
    ("meta", "tool.exe", "application/x-msdownload", 0, "unsupported_media"),
])
def test_a_file_the_provider_would_refuse_is_refused_while_it_streams_and_nothing_is_kept(
        core, provider, filename, content_type, limit, code):
    size = 3 * limit or 10
    account = {"meta": "meta-m", "twilio": "tw-m"}[provider]
    interaction_id = owned_conversation(core, account, provider, f"+3934700001{len(filename)}{limit % 7}")
    before = core.call(Message.filter(interaction_id=interaction_id).count())
    upload = StreamedFile(filename, content_type, size)
    with pytest.raises(Invalid) as refused:
        core.call(core.services.interactions.send_file(core.agents[0], interaction_id, upload))
    assert refused.value.code == code and refused.value.message
    assert upload.consumed <= limit + upload.chunk  # stopped at the limit, never read to the end
    assert core.call(Message.filter(interaction_id=interaction_id).count()) == before
    assert stored_files(core) == []


def test_the_admin_limit_and_switch_apply_to_every_provider(core):
    interaction_id = owned_conversation(core, "meta-m", "meta", "+393470000020")
    agent = core.agents[0]
    core.call(core.services.settings.update({"attachments": {"enabled": True, "max_mb": 1}}))
    with pytest.raises(Invalid) as refused:
        core.call(core.services.interactions.send_file(agent, interaction_id,
                                                       StreamedFile("a.pdf", "application/pdf", 2**20 + 1)))
    assert "1 MB" in refused.value.message
    core.call(core.services.settings.update({"attachments": {"enabled": False}}))
    with pytest.raises(Conflict) as disabled:
        core.call(core.services.interactions.send_file(agent, interaction_id, StreamedFile("a.png", "image/png", 10)))
    assert disabled.value.code == "attachments_disabled"


def test_meta_accounts_that_say_so_get_a_link_instead_of_an_upload(core, fakes):
    graph, _ = fakes
    core.call(Account.filter(key="meta-m").update(credentials={
        "phone_number_id": "1098765", "access_token": "token-123", "app_secret": APP_SECRET, "media_by_link": True}))
    core.services.inbound.forget_account("meta-m")
    interaction_id = owned_conversation(core, "meta-m", "meta", "+393470000030")
    sent = core.call(core.services.interactions.send_file(core.agents[0], interaction_id,
                                                          StreamedFile("offer.pdf", "application/pdf", 500)))
    wait_until(lambda: core.call(Message.get(id=sent["id"])).status == "sent", timeout=5)
    document = graph.requests[-1]["json"]["document"]
    assert graph.uploads == [] and document["filename"] == "offer.pdf"
    assert document["link"].startswith("https://cc.example.com/media/")


def browser_recording(seconds: float = 1.0) -> bytes:
    """What Chromium's MediaRecorder gives: Opus in WebM (here a 440 Hz tone, encoded with PyAV)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        for index in range(int(seconds * 50)):
            frame = av.AudioFrame(format="flt", layout="mono", samples=960)
            frame.planes[0].update(array.array("f", [0.3 * math.sin(2 * math.pi * 440 * (n + index * 960) / 48000)
                                                     for n in range(960)]).tobytes())
            frame.sample_rate, frame.pts = 48000, index * 960
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def test_a_voice_message_recorded_in_the_browser_goes_out_as_an_ogg_voice_note(core, fakes):
    graph, _ = fakes
    interaction_id = owned_conversation(core, "meta-m", "meta", "+393470000040")
    upload = StreamedFile("voice-message.webm", "audio/webm", 0, content=browser_recording())
    sent = core.call(core.services.interactions.send_file(core.agents[0], interaction_id, upload))
    assert sent["kind"] == "audio" and sent["attachment"]["content_type"] == "audio/ogg"
    assert sent["attachment"]["filename"] == "voice-message.ogg"
    wait_until(lambda: core.call(Message.get(id=sent["id"])).status == "sent", timeout=5)
    [up] = graph.uploads
    assert up["content"][:4] == b"OggS" and up["content_type"] == "audio/ogg"
    with av.open(io.BytesIO(up["content"])) as voice:
        assert voice.streams.audio[0].codec_context.name == "opus" and voice.duration > 900_000
    assert len(stored_files(core)) == 1  # the WebM recording itself is not kept
    with pytest.raises(Invalid):
        core.call(core.services.interactions.send_file(core.agents[0], interaction_id, StreamedFile(
            "voice-message.webm", "audio/webm", 3000)))
