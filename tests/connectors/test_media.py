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
import time
import uuid

import av
import httpx
import pytest

from server.connectors.delivery import InboundMedia, InboundMessage
from server.connectors.media_fetch import redirected
from server.connectors.meta import MetaSender
from server.connectors.sending import OutboundFile, Outgoing, SendFailed
from server.connectors.twilio import parse_message as twilio_message
from server.connectors.twilio import signature as twilio_signature
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
    return meta_media(core, media_id, "image", {"mime_type": "image/png", "sha256": "x", "caption": "my receipt"},
                      phone)


def meta_media(core, media_id: str, kind: str, part: dict[str, str], phone: str) -> httpx.Response:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Ada"}, "wa_id": phone}],
        "messages": [{"from": phone, "id": f"wamid.{media_id}", "timestamp": "1764100000", "type": kind,
                      kind: {"id": media_id, **part}}]}}]}]}
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
    assert got.headers["x-content-type-options"] == "nosniff" and got.headers["content-disposition"].startswith(
        "attachment")
    attachment_id, token = link.split("/")[2:4]
    expires, signature = token.split(".")
    assert 23 * 3600 < int(expires) - time.time() <= 24 * 3600
    link_key = hmac.new(b"test", b"media-links", hashlib.sha256).digest()  # not the storage secret itself
    assert signature == hmac.new(link_key, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()
    files = core.services.files
    expired = files.link_token(int(attachment_id), now=time.time() - 24 * 3600 - 1)
    for forged in (f"/media/{attachment_id}/{'0' * len(token)}", f"/media/{int(attachment_id) + 1}/{token}",
                   f"/media/{attachment_id}/{expires}.{'0' * len(signature)}",  # a forged signature
                   f"/media/{attachment_id}/{int(expires) + 86400}.{signature}",  # a tampered expiry
                   f"/media/{attachment_id}/{signature}", f"/media/{attachment_id}/{expired}"):
        assert core.call(core.hooks.get(forged)).status_code == 404, forged
    assert not files.token_matches(int(attachment_id), f"{expires}.{signature[:-1]}é")
    assert not files.token_matches(int(attachment_id), token, now=int(expires))  # valid until, not at, expiry
    assert files.token_matches(int(attachment_id), token, now=int(expires) - 1)


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


def twilio_webhook(core, fields: dict[str, str]) -> httpx.Response:
    """A signed Twilio inbound webhook, form-encoded, as Twilio POSTs it to the public URL."""
    path = "/webhooks/twilio/tw-m"
    signed = twilio_signature("tok", "https://cc.example.com" + path, fields)
    return core.call(core.hooks.post(path, data=fields, headers={"X-Twilio-Signature": signed}))


def test_a_twilio_webhook_with_a_file_stores_the_message_and_fetches_the_file(core, fakes):
    _, twilio = fakes
    pdf = b"%PDF-1.4 " + os.urandom(1000)
    twilio.files["ME7"] = (pdf, "application/pdf")
    fields = {"MessageSid": "MM7", "AccountSid": "AC123", "From": "whatsapp:+5511987650007", "To":
              "whatsapp:+15550001111", "Body": "my invoice", "NumMedia": "1", "MediaContentType0": "application/pdf",
              "MediaUrl0": f"{twilio.base}/Accounts/AC123/Messages/MM7/Media/ME7", "ProfileName": "Rui"}
    answer = twilio_webhook(core, fields)
    assert answer.status_code == 200 and answer.headers["x-stored"] == "stored"
    wait_until(lambda: attachment_of(core, "MM7").state == "stored", timeout=5)
    file = attachment_of(core, "MM7")
    assert (file.content_type, file.size, file.sha256) == ("application/pdf", len(pdf), hashlib.sha256(pdf).hexdigest())
    assert core.services.files.path_of(file.sha256).read_bytes() == pdf
    assert [d["path"] for d in twilio.downloads] == ["/2010-04-01/Accounts/AC123/Messages/MM7/Media/ME7"]
    message = core.call(Message.get(id=file.message_id))  # type: ignore[attr-defined]
    assert (message.kind, message.text) == ("document", "[document] my invoice")
    assert twilio_webhook(core, fields).headers["x-stored"] == "duplicate"
    assert len(twilio.downloads) == 1


@pytest.mark.parametrize("declared, filename", [("image/svg+xml", "logo.svg"), ("text/html", "page.html"),
                                                ("", "page.html")])
def test_an_inbound_file_of_a_type_whatsapp_does_not_carry_is_kept_as_an_opaque_download(
        core, fakes, declared, filename):
    graph, _ = fakes
    media_id = f"doc-{uuid.uuid4().hex[:8]}"
    graph.files[media_id] = (b"<svg onload=alert(1)><script>alert(2)</script></svg>", declared or "text/html")
    phone = f"39347{int(uuid.uuid4().int % 10**7):07d}"
    meta_media(core, media_id, "document", {"mime_type": declared, "filename": filename}, phone)
    wait_until(lambda: attachment_of(core, f"wamid.{media_id}").state == "stored", timeout=5)
    assert attachment_of(core, f"wamid.{media_id}").content_type == "application/octet-stream"


def other_account(core, provider: str, api_base_url: str | None) -> Account:
    key = f"{provider}-{uuid.uuid4().hex[:6]}"
    core.call(Account.create(key=key, provider=provider, queue=core.call(Queue.get(name="Q1")),
                             api_base_url=api_base_url, credentials={}))
    return core.call(core.services.inbound.account(key, provider))


def media_message(core, account: Account, url: str, content_type: str = "image/png") -> str:
    message_id = f"in-{uuid.uuid4().hex}"
    core.call(core.services.inbound.receive_all(account, [InboundMessage(
        message_id, f"+4673200{int(uuid.uuid4().int % 10**4):04d}", "", "image", "[image]",
        InboundMedia(url, content_type, "x.png"))]))
    return message_id


@pytest.mark.parametrize("provider", ["sinch", "kaleyra"])
def test_a_media_link_to_an_internal_address_is_refused_and_nothing_is_fetched(core, fakes, provider):
    graph, _ = fakes
    graph.files["inside"] = (PNG, "image/png")
    account = other_account(core, provider, "https://api.provider.example.com")
    refused_ids = [media_message(core, account, url) for url in (
        f"http://127.0.0.1:{graph.port}/files/inside", f"http://localhost:{graph.port}/files/inside",
        f"http://[::ffff:127.0.0.1]:{graph.port}/files/inside", "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x", "http://0.0.0.0/x")]
    for message_id in refused_ids:
        wait_until(lambda m=message_id: attachment_of(core, m).state == "failed", timeout=5)
        assert "internal address" in attachment_of(core, message_id).error
    not_http = media_message(core, account, "ftp://files.example.com/x.png")
    wait_until(lambda: attachment_of(core, not_http).state == "failed", timeout=5)
    assert attachment_of(core, not_http).error == "The link to the file is not an http(s) URL."
    assert graph.downloads == []
    # The account's own API (here, the local fake) may serve its files.
    own = other_account(core, provider, f"http://127.0.0.1:{graph.port}")
    allowed = media_message(core, own, f"http://127.0.0.1:{graph.port}/files/inside")
    wait_until(lambda: attachment_of(core, allowed).state == "stored", timeout=5)


def test_a_redirect_is_followed_only_to_an_allowed_url_and_credentials_stay_with_their_origin(core, fakes):
    graph, twilio = fakes
    graph.files["moved"] = (PNG, "image/png")
    graph.download_script = [Answer(302, headers={"location": "/files/moved"})]  # the same origin: followed
    meta_image(core, "moved", "393470000050")
    wait_until(lambda: attachment_of(core, "wamid.moved").state == "stored", timeout=5)
    assert [d["authorization"] for d in graph.downloads] == ["Bearer token-123"] * 2

    graph.files["elsewhere"] = (PNG, "image/png")
    twilio.files["ME9"] = (PNG, "image/png")
    graph.download_script = [Answer(307, headers={  # loopback, on another port: not the account's API
        "location": f"{twilio.base}/Accounts/AC123/Messages/MM9/Media/ME9"})]
    meta_image(core, "elsewhere", "393470000051")
    wait_until(lambda: attachment_of(core, "wamid.elsewhere").state == "failed", timeout=5)
    assert "internal address" in attachment_of(core, "wamid.elsewhere").error
    assert twilio.downloads == [] and len(graph.downloads) == 3

    graph.files["loop"] = (PNG, "image/png")
    graph.download_script = [Answer(302, headers={"location": "/files/loop"})] * 4
    meta_image(core, "loop", "393470000052")
    wait_until(lambda: attachment_of(core, "wamid.loop").state == "failed", timeout=5)
    assert "redirects more than 3 times" in attachment_of(core, "wamid.loop").error

    first = httpx.Request("GET", "https://api.example.com/a", headers={"Authorization": "Basic x", "Accept": "*/*"})
    same = redirected(first, "/b")
    assert str(same.url) == "https://api.example.com/b" and same.headers["authorization"] == "Basic x"
    for location in ("https://cdn.example.net/b", "http://api.example.com/b", "https://api.example.com:8443/b"):
        hop = redirected(first, location)
        assert "authorization" not in hop.headers and hop.headers["accept"] == "*/*"
        assert hop.headers["host"] == httpx.URL(location).netloc.decode()


@pytest.mark.parametrize("account_key, provider", [("meta-m", "meta"), ("tw-m", "twilio")])
def test_a_message_whose_file_went_missing_fails_instead_of_staying_queued(core, fakes, account_key, provider):
    graph, twilio = fakes
    interaction_id = owned_conversation(core, account_key, provider, f"+39347000006{len(provider)}")
    core.services.outbox.enqueue = lambda message_id, interaction_id: None  # stops before sending anything
    sent = core.call(core.services.interactions.send_file(core.agents[0], interaction_id,
                                                          StreamedFile("gone.pdf", "application/pdf", 700)))
    file = core.call(Attachment.get(message_id=sent["id"]))
    core.services.files.path_of(file.sha256).unlink()
    core.stop()
    core.start()
    wait_until(lambda: core.call(Message.get(id=sent["id"])).status == "failed", timeout=5)
    assert core.call(Message.get(id=sent["id"])).error == "The attachment's file is missing."
    assert graph.uploads == [] and graph.requests == [] and twilio.requests == []


def test_meta_refuses_to_upload_a_file_that_is_not_on_disk(core, tmp_path):
    account = core.call(core.services.inbound.account("meta-m", "meta"))
    sender = MetaSender(httpx.AsyncClient())
    missing = OutboundFile(tmp_path / "nowhere.pdf", "application/pdf", "nowhere.pdf", 10, "https://x/y")
    with pytest.raises(SendFailed) as failure:
        core.call(sender.send(account, Outgoing("+393470000070", file=missing)))
    assert failure.value.reason == "The attachment's file is missing." and not failure.value.retryable
    core.call(sender.client.aclose())


def test_temporary_files_left_by_a_crash_are_removed_at_start(core):
    incoming = core.settings.data_dir / "media" / "incoming"
    (incoming / uuid.uuid4().hex).write_bytes(b"half a file")
    core.stop()
    core.start()
    assert list(incoming.iterdir()) == []
