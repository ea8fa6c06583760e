"""What every page needs: the running services, the signed-in principal, and event subscriptions that
end with the browser tab.

A page is built for the user signed in at that moment, but it may stay open all day: every action of the
page (`attempt`, `run`) first checks the browser's session again, as the REST API does for every request,
and a page whose user was signed out or changed role is told and sent away at once (`AccountChanged`)."""
from __future__ import annotations

import asyncio
import contextvars
import inspect
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nicegui import Client, app, background_tasks, storage, ui

from server.domain.events import AccountChanged, Event
from server.errors import ProductError, Unauthorized
from server.services.auth import SESSION_ENDED, Principal

log = logging.getLogger(__name__)
_services: Callable[[], Any] = lambda: None  # noqa: E731


def use_services(source: Callable[[], Any]) -> None:
    global _services
    _services = source


def services() -> Any:
    return _services()


async def principal(client: Client | None = None, *, by_person: bool = True) -> Principal | None:
    """The signed-in user of this browser (of `client`'s page, by default the current one), or None (no
    session, or it ended). Work a page does by itself (on an event, or on a timer: not `by_person`) does not
    keep the session from idling."""
    session = token(client)
    if not session:
        return None
    try:
        return await services().auth.authenticate(session, touch=by_person and not _on_event.get())
    except Unauthorized:
        app.storage.user.pop("token", None)
        return None


async def page_principal() -> Principal | None:
    """The signed-in user a page is being built for, or None. The page's actions are allowed only while the
    browser's session still belongs to this user with this role (`still_allowed`)."""
    found = await principal()
    if found is not None:
        client = ui.context.client
        _page_users[client.id] = found
        client.on_delete(lambda: _page_users.pop(client.id, None))
        subscribe(f"user:{found.id}", _account_changed)
    return found


_page_users: dict[str, Principal | None] = {}  # per client: who its page was built for; None once signed out
SIGNED_OUT = "You were signed out: an administrator changed your account."
ACCOUNT_CHANGED = "Your account changed; the page was reloaded."


def _account_changed(event: Event) -> None:
    if not isinstance(event, AccountChanged):
        return
    if event.signed_out:
        _send_to_sign_in(ui.context.client, SIGNED_OUT)
    else:
        _reload(ui.context.client, ACCOUNT_CHANGED)


def _send_to_sign_in(client: Client, notice: str) -> None:
    _page_users[client.id] = None
    path = client.page.path if "{" not in client.page.path else "/"
    with client:
        ui.notify(notice, type="warning", position="top")
        ui.navigate.to(f"/login?next_path={path}")


def _reload(client: Client, notice: str) -> None:
    """Rebuilt for the user's new role."""
    with client:
        ui.notify(notice, type="info", position="top")
        ui.navigate.reload()


async def still_allowed(*, by_person: bool = True) -> bool:
    """Whether this page may act now: its browser's session is still valid and still the same user with the
    same role as when the page was built (the check the REST API makes for every request). If not, the page is
    told and sent away, and nothing is done."""
    client = _acting_client()
    if client is None:  # its page was taken down before it first acted
        log.warning("an action of a page that is gone was not done")
        return False
    built_for = _page_users.get(client.id)  # None: built for nobody (a page without `page_principal`), or ended
    current = await principal(client, by_person=by_person) if built_for is not None else None
    if current is None:
        _send_to_sign_in(client, SESSION_ENDED)
        return False
    assert built_for is not None  # else `current` is None, above
    if (current.id, current.role) != (built_for.id, built_for.role):
        _reload(client, ACCOUNT_CHANGED)
        return False
    return True


_client_of_action: contextvars.ContextVar[Client | None] = contextvars.ContextVar("client_of_action", default=None)
_on_event: contextvars.ContextVar[bool] = contextvars.ContextVar("on_event", default=False)


def _acting_client() -> Client | None:
    """The page an action runs for. An action may remove the element it started from (a form rebuilt after a
    save) and then act again: its page is the one it first acted for (kept per task)."""
    try:
        client = ui.context.client
    except RuntimeError:
        return _client_of_action.get()
    _client_of_action.set(client)
    return client


def token(client: Client | None = None) -> str:
    """This browser's session token (of `client`'s page, by default the current one). Inside a page it is
    read through the page's own request: handlers of elements built after an event from the hub run with no
    request, and NiceGUI's simulated browsers (tests) share one context."""
    request = _page_request(client)
    if request is not None:
        storage.request_contextvar.set(request)
    return str(app.storage.user.get("token") or "")


def _page_request(client: Client | None) -> Any:
    try:
        return (client or ui.context.client).request
    except RuntimeError:  # not inside a page (a plain route), or a page built without a request
        return None


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
            marked = _on_event.set(True)  # inherited by the work the handler starts
            try:
                with client:
                    handler(event)
            finally:
                _on_event.reset(marked)

    number = next(_numbers)
    mine[number] = services().hub.subscribe(topic, deliver)

    def unsubscribe() -> None:
        end = mine.pop(number, None)
        if end is not None:
            end()

    return unsubscribe


_work: dict[str, set[asyncio.Task[None]]] = {}  # per client: its background work under way


def run(work: Coroutine[Any, Any, Any]) -> None:
    """Run `work` in the background, inside the current client's context; a refusal or failure becomes a
    notice, as for any action of the user. Work still under way when its page goes (a reload, a closed tab)
    is cancelled where it waits, so it never builds on a page that is gone."""
    client = ui.context.client
    if client.is_deleted:
        work.close()
        return
    if client.id not in _work:
        _work[client.id] = set()
        client.on_delete(lambda: [task.cancel() for task in _work.pop(client.id, ())])
    under_way = _work[client.id]

    async def within() -> None:
        with client:
            await attempt(work)

    task = background_tasks.create(within(), name="ui-work")
    under_way.add(task)
    task.add_done_callback(under_way.discard)


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
    """Await an action for the user, if the page may still act (`still_allowed`); a refusal (or a failure,
    logged) becomes a notice, and None."""
    try:
        if not await still_allowed():
            return None
        return await action
    except ProductError as error:
        notify_error(error)
    except Exception as error:
        log.exception("a user action failed")
        notify_error(error)
    finally:
        if isinstance(action, Coroutine) and inspect.getcoroutinestate(action) == inspect.CORO_CREATED:
            action.close()  # refused before it began
    return None
