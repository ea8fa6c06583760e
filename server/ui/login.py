"""Sign in and sign out."""
from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import app, ui

from server.errors import ProductError
from server.ui import context
from server.ui.theme import apply_theme


async def login_page(next_path: str = "/") -> RedirectResponse | None:
    if await context.principal() is not None:
        return RedirectResponse(_safe(next_path))
    apply_theme()
    address = ui.context.client.ip or None  # throttled as well as the username

    async def sign_in() -> None:
        try:
            token, _ = await context.services().auth.login(username.value, password.value, address)
        except ProductError as error:
            problem.set_text(error.message)
            problem.set_visibility(True)
            password.set_value("")
            return
        app.storage.user["token"] = token
        ui.navigate.to(_safe(next_path))

    with ui.column().classes("absolute-center items-center gap-4"):
        ui.label("💬 WhatsApp desk").classes("text-2xl font-semibold text-secondary")
        with ui.card().classes("xc-card w-[340px] p-6 gap-3"):
            ui.label("Sign in").classes("text-lg font-medium")
            username = ui.input("Username").props("outlined dense autofocus").classes("w-full")
            password = ui.input("Password", password=True).props("outlined dense").classes("w-full")
            problem = ui.label().classes("text-negative text-sm")
            problem.set_visibility(False)
            ui.button("Sign in", on_click=sign_in).props("unelevated").classes("w-full")
            password.on("keydown.enter", sign_in)
            username.on("keydown.enter", lambda: password.run_method("focus"))
    return None


async def logout() -> RedirectResponse:
    token = context.token()
    if token:
        await context.services().presence.sign_out(token)
    app.storage.user.pop("token", None)
    return RedirectResponse("/login")


def _safe(path: str) -> str:
    """Only a path of this site to go to after signing in; anything else goes to the desk. Browsers read `/\\`
    as `//` (another host) and drop tabs and newlines inside a URL, so backslashes and control characters are
    refused anywhere."""
    if (not path.startswith("/") or path.startswith("//") or "\\" in path
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)):
        return "/"
    return path
