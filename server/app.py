"""Wiring: database, writer, actors, services, routes; orderly shutdown."""
from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from server.actors.hub import EventHub
from server.actors.system import ActorSystem
from server.api import admin, audit, auth, campaigns, contacts, interactions, me, outbound, supervisor, templates
from server.api import admin_config
from server.api.body_limits import BodyLimits
from server.api.errors import answer_unknown_api_paths, install_error_handlers
from server.api.nul_guard import RefuseNul
from server.api.openapi import document_answers
from server.api.security_headers import with_security_headers
from server.config import Settings, stored_secret
from server.connectors.webhooks import webhook_app
from server.ui import mount_ui
from server.connectors.kaleyra import KaleyraSender
from server.connectors.media_fetch import MediaFetcher, MediaLocator
from server.connectors.meta import MetaSender
from server.connectors.meta_templates import MetaTemplates
from server.connectors.sinch import SinchSender
from server.connectors.twilio import TwilioSender
from server.connectors.campaign_runner import CampaignRunner
from server.connectors.outbox import Outbox
from server.connectors.sending import SandboxSender, Sender, Senders
from server.persistence.files import MediaFiles
from server.persistence.db import close_database, open_database
from server.persistence.routing_state import load_routing_state, load_writer_context
from server.persistence.writer import Writer
from server.persistence.writes import return_interactions_of_disabled_owners
from server.services.admin import AdminService
from server.services.audit_trail import AuditTrailService
from server.services.board import BoardService
from server.services.catalog import CatalogService
from server.services.contact_admin import ContactAdminService
from server.services.contacts import ContactService
from server.services.agents import AgentService
from server.services.auth import AuthService
from server.services.presence import PresenceService
from server.services.campaigns import CampaignService
from server.services.demo import ensure_demo_workspace
from server.services.inbound import InboundService
from server.services.interactions import InteractionService
from server.services.outbound import OutboundService
from server.services.settings import MAX_ATTACHMENT_MB, SettingsService
from server.services.simulator import SimulatorService
from server.services.template_admin import TemplateAdminService
from server.services.account_admin import AccountAdminService
from server.services.catalog_admin import CatalogAdminService
from server.services.queue_admin import QueueAdminService
from server.persistence import credentials
from server.services.transcripts import TranscriptService

log = logging.getLogger(__name__)


class _Provider(Sender, MediaLocator, Protocol):
    """A provider's connector: it sends, and fetches the media its customers send."""


@dataclass
class Services:
    """Everything a request handler or a page may call."""

    settings_values: Settings
    writer: Writer
    hub: EventHub
    system: ActorSystem
    auth: AuthService
    settings: SettingsService
    agents: AgentService
    interactions: InteractionService
    inbound: InboundService
    admin: AdminService
    contact_admin: ContactAdminService
    catalog: CatalogService
    contacts: ContactService
    outbox: Outbox
    media: MediaFetcher
    files: MediaFiles
    http: httpx.AsyncClient
    simulator: SimulatorService
    transcripts: TranscriptService
    outbound: OutboundService
    campaigns: CampaignService
    templates: TemplateAdminService
    board: BoardService
    audit_trail: AuditTrailService
    queue_admin: QueueAdminService
    account_admin: AccountAdminService
    catalog_admin: CatalogAdminService
    presence: PresenceService


async def start_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await open_database(settings.resolved_database_url)
    credentials.configure(settings.storage_secret or stored_secret(settings.data_dir),
                          settings.previous_storage_secrets)
    if settings.demo:
        await ensure_demo_workspace()
    await credentials.reseal_rows()  # rows from before encryption or of a previous secret, or written by tools
    writer = Writer(await load_writer_context())
    writer.start()
    loop = asyncio.get_running_loop()
    hub = EventHub(loop)
    board = BoardService(hub)  # listening before the actors start: their first events build it
    await board.count_today()
    system = ActorSystem(loop, writer, hub, threads=settings.actor_threads)
    await return_interactions_of_disabled_owners()
    system.start(await load_routing_state())
    workspace = SettingsService()
    await workspace.load()
    http = httpx.AsyncClient(timeout=settings.send_timeout)
    providers: dict[str, _Provider] = {
        "meta": MetaSender(http), "twilio": TwilioSender(http, settings.resolved_public_url),
        "sinch": SinchSender(http), "kaleyra": KaleyraSender(http)}
    senders = Senders({"sandbox": SandboxSender(), **providers})
    files = MediaFiles(settings.data_dir / "media", settings.storage_secret)
    outbox = Outbox(writer, senders, hub, files, settings.resolved_public_url, settings.send_retry_delays)
    media = MediaFetcher(http, writer, hub, files, providers, settings.send_retry_delays)
    await outbox.resume()
    await media.resume()
    runner = CampaignRunner(writer, outbox, hub)
    await runner.resume()
    settle_garbage_collector()
    inbound = InboundService(system, writer, media)
    interactions = InteractionService(system, writer, workspace, senders, outbox, files)
    auth = AuthService(workspace)
    agents = AgentService(system, workspace)
    presence = PresenceService(auth, agents, workspace)
    await presence.resume()
    return Services(settings, writer, hub, system, auth, workspace, agents, interactions,
                    inbound, AdminService(workspace, auth, system, board, hub), ContactAdminService(), CatalogService(),
                    ContactService(workspace, writer), outbox, media, files, http, SimulatorService(inbound, workspace),
                    TranscriptService(interactions), OutboundService(system, writer, workspace, interactions),
                    CampaignService(runner),
                    TemplateAdminService(MetaTemplates(http, settings.send_retry_delays[:1])),  # admins wait: one retry
                    board, audit_trail=AuditTrailService(), queue_admin=QueueAdminService(system),
                    account_admin=AccountAdminService(inbound), catalog_admin=CatalogAdminService(),
                    presence=presence)


def settle_garbage_collector() -> None:
    """Move everything built at start-up out of the collector's sight and collect less often.

    The routing state is tens of thousands of long-lived objects; full collections that walk them all
    stalled requests by 50-100 ms under load (scripts/bench.py: steady p99 90 ms before, 15 ms after).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def stop_services(services: Services) -> None:
    await services.campaigns.runner.stop()
    await services.outbox.stop()
    await services.media.stop()
    await services.http.aclose()
    services.system.stop()
    await services.writer.stop()
    await close_database()


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await start_services(settings)
        app.state.ready = True
        log.info("ready on %s", settings.resolved_public_url)
        try:
            yield
        finally:
            app.state.ready = False
            await stop_services(app.state.services)

    app = FastAPI(title="WhatsApp contact center", version="0.1.0", lifespan=lifespan)
    app.state.ready = False
    install_error_handlers(app)
    app.add_middleware(RefuseNul)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        if not app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    for module in (auth, me, interactions, outbound, contacts, admin, admin_config, campaigns, templates, supervisor,
                   audit):
        app.include_router(module.router, prefix="/api/v1")
    answer_unknown_api_paths(app)
    document_answers(app)
    mount_ui(app, lambda: app.state.services, settings.storage_secret, settings.data_dir)
    return app


class Entry:
    """The ASGI application uvicorn runs: provider webhooks (and provider downloads of our files) go
    straight to their lean app (the hot path), everything else (REST API, health, lifespan, the web UI) to FastAPI.
    Every HTTP request has its body's ceiling (BodyLimits) and every answer the security headers."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api
        self.app = api  # how NiceGUI finds the uvicorn server that runs it
        self.webhooks = webhook_app(lambda: api.state.services)
        self.limits = BodyLimits(self._attachment_mb)

    def _attachment_mb(self) -> int:
        services = getattr(self.api.state, "services", None)
        return services.settings.get("attachments")["max_mb"] if services is not None else MAX_ATTACHMENT_MB

    @property
    def state(self) -> Any:
        return self.api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan, the page socket
            await self.api(scope, receive, send)
            return
        app = self.webhooks if scope["path"].startswith(("/webhooks/", "/media/")) else self.api
        await self.limits(app, scope, receive, with_security_headers(send))


def create_entry(settings: Settings) -> Entry:
    return Entry(create_app(settings))
