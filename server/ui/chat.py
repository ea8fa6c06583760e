"""The open conversation: its header and menu, the latest messages (older ones on demand), live ticks,
and the composer. Built when its tab is selected, cleared when another is."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nicegui import ui

from server.domain.events import AttachmentChanged, Event, MessageAdded, MessageChanged, MessageStatusChanged
from server.ui import context
from server.ui.bubbles import bubble_classes, bubble_html, file_url, header_html
from server.ui.composer import Composer
from server.ui.dialogs import close_dialog, transfer_dialog

T = TypeVar("T")
PAGE = 20  # messages rendered at first (a screenful and more); older ones load on demand
# Scrolled to by pixels, which the browser clamps to the real bottom: a percentage is computed by Quasar from
# sizes it measures later, so the newest message would stay hidden below.
BOTTOM = 10**9
# An image's height is known only once it has loaded: the chat scrolled to the bottom before that leaves the
# image hanging below. Once an image of the newest message loads (or any image while the chat is at its
# bottom), the chat scrolls to the bottom again.
FOLLOW_IMAGES_JS = """
(() => {
  const area = getHtmlElement(%(area)d);
  const box = area && area.querySelector('.q-scrollarea__container');
  if (!box || area.xcFollowsImages) return;
  area.xcFollowsImages = true;
  let atBottom = true;
  box.addEventListener('scroll', () => { atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8; });
  area.addEventListener('load', (event) => {
    const bubble = event.target.tagName === 'IMG' && event.target.closest('.xc-bubble');
    if (bubble && (atBottom || !bubble.nextElementSibling)) {
      runMethod(%(area)d, 'setScrollPosition', ['vertical', %(bottom)d, 0]);
    }
  }, true);
})();
"""


class ChatView:
    def __init__(self, desk: Any, interaction: dict[str, Any]) -> None:
        self.desk = desk
        self.principal = desk.principal
        self.interaction = interaction
        self.id: int = interaction["id"]
        self.bubbles: dict[int, ui.html] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.oldest: int | None = None
        self.disposed = False  # another conversation was selected: late results are dropped
        # A change told while messages were being read may concern one read before it was made and not shown
        # yet: such ids are kept until the reads end, then their bubbles are read again.
        self._reads = 0
        self._changed_while_reading: set[int] = set()
        self._unsubscribe: Callable[[], None] = lambda: None

    async def build(self) -> None:
        contact = self.interaction["contact"]
        with ui.row().classes("w-full items-center bg-white px-4 py-2 gap-3 no-wrap").style(
                "border-bottom: 1px solid #eaecf0").mark(f"chat-{self.id}"):
            ui.html(header_html(contact, self.interaction), sanitize=False).classes("flex-grow")
            ui.button(icon="close", on_click=lambda: close_dialog(self, dispose=False)).props(
                "flat round dense title='Close the conversation'").mark("chat-close")
            with ui.button(icon="more_vert", on_click=self._fill_menu).props("flat round dense").mark("chat-menu"):
                self.menu = ui.menu()
        self.scroll = ui.scroll_area().classes("xc-chat w-full flex-grow")
        with self.scroll:
            self.older = ui.button("Show earlier messages", on_click=self.load_older).props(
                "flat dense no-caps").classes("self-center")
            self.list = ui.column().classes("w-full gap-2 px-4 py-2")
        self.composer = Composer(self)
        # Subscribed before loading: a message stored meanwhile is not missed (and not shown twice).
        self._unsubscribe = context.subscribe(f"interaction:{self.id}", self.on_event)
        await context.attempt(self._load(before=None))
        self.scroll.scroll_to(pixels=BOTTOM)
        ui.run_javascript(FOLLOW_IMAGES_JS % {"area": self.scroll.id, "bottom": BOTTOM})

    def _fill_menu(self) -> None:
        """The menu's items are made when it is first opened: most conversations never open it."""
        if self.menu.default_slot.children:
            return
        with self.menu:
            if context.services().settings.get("transfer")["enabled"]:
                ui.menu_item("Transfer…", on_click=lambda: transfer_dialog(self)).mark("transfer")
            ui.menu_item("Download transcript (PDF)", on_click=lambda: ui.download(
                f"/desk/transcripts/{self.id}.pdf")).mark("transcript")
            ui.menu_item("Close", on_click=lambda: close_dialog(self, dispose=False)).mark("close")
            ui.menu_item("Close & Dispose…", on_click=lambda: close_dialog(self, dispose=True)).mark("close-dispose")

    def dispose(self) -> None:
        self.disposed = True
        self._unsubscribe()
        self.composer.dispose()

    async def load_older(self) -> None:
        await context.attempt(self._load(before=self.oldest, at_top=True))

    async def _load(self, before: int | None, at_top: bool = False) -> None:
        rows = await self._reading(context.services().interactions.messages(self.principal, self.id, before=before,
                                                                            limit=PAGE))
        if self.disposed:
            return
        self.older.set_visibility(len(rows) == PAGE)
        if rows:
            self.oldest = rows[0]["id"]
        for index, message in enumerate(rows):
            bubble = self._add(message)
            if at_top:
                bubble.move(self.list, target_index=index)

    def _add(self, message: dict[str, Any]) -> ui.html:
        if message["id"] in self.bubbles:
            return self.bubbles[message["id"]]
        with self.list:
            bubble = ui.html(bubble_html(message, file_url(message)), sanitize=False).classes(
                bubble_classes(message)).mark(f"message-{message['direction']}")
        self.bubbles[message["id"]] = bubble
        self.messages[message["id"]] = message
        return bubble

    def on_event(self, event: Event) -> None:
        if isinstance(event, MessageAdded) and event.message_id not in self.bubbles:
            context.run(self._append(event.message_id))
        elif isinstance(event, (MessageStatusChanged, MessageChanged, AttachmentChanged)):
            if event.message_id in self.bubbles:
                context.run(self._refresh(event.message_id))
            elif self._reads:
                self._changed_while_reading.add(event.message_id)

    async def _reading(self, read: Awaitable[T]) -> T:
        """`read`'s result, shown by the caller before this chat's next event is handled; a message changed
        meanwhile is read again once every read under way has ended (its bubble may hold what was read before)."""
        self._reads += 1
        try:
            return await read
        finally:
            self._reads -= 1
            if not self._reads and self._changed_while_reading:
                context.run(self._refresh_changed())

    async def _refresh_changed(self) -> None:
        """Once the results of the reads have been shown (this runs as a task of its own, after them)."""
        changed, self._changed_while_reading = self._changed_while_reading, set()
        for message_id in changed & self.bubbles.keys():
            await self._refresh(message_id)

    async def _append(self, message_id: int) -> None:
        message = await self._reading(context.services().interactions.message(self.principal, self.id, message_id))
        if self.disposed or message is None or message_id in self.bubbles:
            return
        bubble = self._add(message)
        place = in_chat_order(list(self.messages.values())).index(message)
        if place < len(self.messages) - 1:  # a late redelivery: in its place, not at the end
            bubble.move(self.list, target_index=place)
        else:
            self.scroll.scroll_to(pixels=BOTTOM)
        if message["direction"] == "in":
            await self.composer.window_moved()

    async def _refresh(self, message_id: int) -> None:
        message = await context.services().interactions.message(self.principal, self.id, message_id)
        if not self.disposed and message is not None and message_id in self.bubbles:
            self.messages[message_id] = message
            bubble = self.bubbles[message_id]
            bubble.set_content(bubble_html(message, file_url(message)))
            bubble.classes(replace=bubble_classes(message))


def in_chat_order(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As the server orders a chat: by the customer's time for inbound messages, ours for the rest."""
    return sorted(messages, key=lambda m: (m.get("sent_at") or m["created_at"] or "", m["id"]))
