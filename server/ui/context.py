"""What every page needs: the running services, the signed-in principal, and event subscriptions that
end with the browser tab."""
from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nicegui import app, background_tasks, storage, ui

from server.actors.events import Event
from server.errors import ProductError, Unauthorized
from server.services.auth import Principal

log = logging.getLogger(__name__)
_services: Callable[[], Any] = lambda: None  # noqa: E731


def use_services(source: Callable[[], Any]) -> None:
    global _services
    _services = source


def services() -> Any:
    return _services()


async def principal() -> Principal | None:
    """The signed-in user of this browser, or None (no session, or it ended)."""
    token = app.storage.user.get("token")
    if not token:
        return None
    try:
        return await services().auth.authenticate(token)
    except Unauthorized:
        app.storage.user.pop("token", None)
        return None


def token() -> str:
    """This browser's session token, also in handlers of elements built outside the page's request (after an
    event from the hub), where NiceGUI has no request to find the user's storage by: use the page's."""
    if storage.request_contextvar.get() is None and ui.context.client.request is not None:
        storage.request_contextvar.set(ui.context.client.request)
    return str(app.storage.user.get("token") or "")


_subscriptions: dict[str, dict[int, Callable[[], None]]] = {}  # per client: what to end when it goes
_numbers = itertools.count()


def subscribe(topic: str, handler: Callable[[Event], Any]) -> Callable[[], None]:
    """Deliver the hub's events of `topic` to `handler`, on the event loop and inside this client's
    context (so it may notify and build), until the returned function is called or the client goes away."""
    client = ui.context.client
    if client.id not in _subscriptions:
        _subscriptions[client.id] = {}
        client.on_delete(lambda: [end() for end in _subscriptions.pop(client.id, {}).values()])
    mine = _subscriptions[client.id]

    def deliver(event: Event) -> None:
        if not client._deleted:
            with client:
                handler(event)

    number = next(_numbers)
    mine[number] = services().hub.subscribe(topic, deliver)

    def unsubscribe() -> None:
        end = mine.pop(number, None)
        if end is not None:
            end()

    return unsubscribe


def run(work: Coroutine[Any, Any, Any]) -> None:
    """Run `work` in the background, inside the current client's context; a refusal or failure becomes a
    notice, as for any action of the user."""
    client = ui.context.client

    async def within() -> None:
        with client:
            await attempt(work)

    background_tasks.create(within(), name="ui-work")


def dialog() -> ui.dialog:
    """A dialog that is removed once closed (the desk lives all day; closed dialogs must not pile up)."""
    made = ui.dialog()
    made.on("hide", made.delete)
    return made


def notify_error(error: Exception) -> None:
    """A readable notice for anything the user's action could not do; never a traceback."""
    if isinstance(error, ProductError):
        ui.notify(error.message, type="warning", position="top")
    else:
        ui.notify("Something went wrong; please try again.", type="negative", position="top")


async def attempt(action: Awaitable[Any]) -> Any:
    """Await an action for the user; a refusal (or a failure, logged) becomes a notice, and None."""
    try:
        return await action
    except ProductError as error:
        notify_error(error)
    except Exception as error:
        log.exception("a user action failed")
        notify_error(error)
    return None
