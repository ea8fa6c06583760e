"""Writing to the customer (SPEC D6, D7, T1): text with emoji and canned answers, one attachment, a voice
message recorded in the browser, internal notes, templates, and the customer service window's time left."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from nicegui import Client, ui
from nicegui.events import UploadEventArguments

from server.domain.window import window_open
from server.ui import context, notices
from server.ui.dialogs import template_dialog

EMOJI = ("😀 😃 😄 😁 😊 🙂 😉 😍 😘 🤗 🤔 😅 😂 🙏 👍 👎 👌 👏 🙌 💪 🎉 ✅ ❌ ⭐ ❤️ 💚 🔥 📦 🚚 📅 ⏰ 💳 "
         "📞 📧 📍 🏠 🛒 💬 ℹ️ ⚠️").split()
VOICE_JS = """
window.xcVoice = window.xcVoice || {
  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({audio: true});
    this.chunks = [];
    this.recorder = new MediaRecorder(this.stream, {mimeType: 'audio/webm;codecs=opus'});
    this.recorder.ondataavailable = (e) => { if (e.data.size) this.chunks.push(e.data); };
    this.recorder.start();
    return true;
  },
  stop(url, token) {
    return new Promise((resolve) => {
      if (!this.recorder) { resolve({status: 0, body: 'not recording'}); return; }
      this.recorder.onstop = async () => {
        this.stream.getTracks().forEach((t) => t.stop());
        const form = new FormData();
        form.append('file', new Blob(this.chunks, {type: 'audio/webm'}), 'voice-message.webm');
        this.recorder = null;
        try {
          const answer = await fetch(url, {method: 'POST', headers: {Authorization: 'Bearer ' + token}, body: form});
          resolve({status: answer.status, body: await answer.text()});
        } catch (e) { resolve({status: 0, body: ''}); }
      };
      this.recorder.stop();
    });
  },
};
"""


class StreamedUpload:
    """A file from the browser's upload, as the interaction service takes it."""

    def __init__(self, event: UploadEventArguments, caption: str) -> None:
        self.filename = event.file.name
        self.content_type = event.file.content_type
        self.fields = {"text": caption}
        self._file = event.file

    def chunks(self) -> AsyncIterator[bytes]:
        return self._file.iterate(chunk_size=256 * 1024)


class Composer:
    upload: ui.upload  # made in __init__ after the button that opens it

    def __init__(self, chat: Any) -> None:
        self.chat = chat
        self.services = context.services()
        self.recording = False
        interaction = chat.interaction
        self.closes_at = (datetime.fromisoformat(interaction["window_closes_at"].replace("Z", "+00:00"))
                          if interaction.get("window_closes_at") else None)
        attachments = self.services.settings.get("attachments")
        self.attachments_enabled = bool(attachments["enabled"])
        with ui.column().classes("w-full bg-white px-3 py-2 gap-1").style("border-top: 1px solid #eaecf0"):
            with ui.row().classes("w-full items-center gap-2 text-xs"):
                self.window = ui.label().classes("xc-muted").mark("window")
                self.recontact = ui.button("Send recontact template", icon="replay", on_click=self._recontact).props(
                    "flat dense no-caps size=sm color=primary").mark("recontact")
                ui.space()
                self.note = ui.switch("Internal note", on_change=self._note_mode).props("dense color=warning").mark(
                    "note-switch")
            with ui.row().classes("w-full items-end gap-1 no-wrap"):
                with ui.button(icon="mood").props("flat round dense title=Emoji"):
                    self.emoji_menu = ui.menu().props("anchor='top left' self='bottom left' auto-close")
                    self.emoji_menu.on("before-show", self._fill_emoji)
                ui.button(icon="quickreply", on_click=self._canned).props(
                    "flat round dense title='Canned answers'").mark("canned")
                self.attach = ui.button(icon="attach_file", on_click=lambda: self.upload.run_method("pickFiles")).props(
                    "flat round dense").props("title='" + (f"Attach a file (up to {attachments['max_mb']} MB)"
                                                           if attachments["enabled"] else "Attachments are disabled")
                                             + "'")
                self.attach.set_enabled(attachments["enabled"])
                self.attach.mark("attach")
                self.mic = ui.button(icon="mic", on_click=self._voice).props(
                    "flat round dense title='Record a voice message'").mark("voice")
                self.template = ui.button(icon="description", on_click=lambda: template_dialog(chat)).props(
                    "flat round dense title='Send a template'").mark("template")
                self.input = ui.textarea(placeholder="Type a message").props(
                    "autogrow outlined dense rows=1 maxlength=4096").classes("flex-grow").mark("composer")
                self.input.on("keydown.enter.exact.prevent", self.send)
                self.send_button = ui.button(icon="send", on_click=self.send).props("round unelevated").mark("send")
            self.upload = ui.upload(auto_upload=True, max_files=1, on_upload=self._upload,
                                    max_file_size=attachments["max_mb"] * 2**20,
                                    on_rejected=lambda: notices.tell(
                                        f"That file is larger than {attachments['max_mb']} MB.", kind="warning")
                                    ).props("accept='image/jpeg,image/png,image/webp,audio/*,video/mp4,video/3gpp,"
                                            "application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx'").classes(
                                        "hidden")
        self._clock: asyncio.Future[None] | None = None
        self._show_window()

    def dispose(self) -> None:
        if self._clock is not None:
            self._clock.cancel()

    async def window_moved(self) -> None:
        """The customer wrote: the window runs again from now (SPEC T1), shown without a reload."""
        view = await context.attempt(self.services.interactions.get(self.chat.principal, self.chat.id))
        if view is not None and view.get("window_closes_at"):
            self.closes_at = datetime.fromisoformat(view["window_closes_at"].replace("Z", "+00:00"))
            self._show_window()

    async def _follow_window(self, client: Client) -> None:
        """Count the window down while it is open and this conversation is shown, to the second it closes
        (a plain task: no element to keep; it runs outside the page's context, so it is given the client)."""
        while not client._deleted and self.closes_at is not None:
            left = (self.closes_at - datetime.now(timezone.utc)).total_seconds()
            if left <= 0:
                break
            await asyncio.sleep((left % 60 if left >= 60 else left % 1) + 0.01)  # until the text changes
            with client:
                self._show_window()

    def _window_open(self) -> bool:
        return window_open(self.closes_at, datetime.now(timezone.utc))

    def _show_window(self) -> None:
        self.recontact.set_visibility(False)
        if self.closes_at is None:
            self.window.set_text("")
            self._apply_mode()  # no window (sandbox...): the note switch still changes the mode
            return
        left = (self.closes_at - datetime.now(timezone.utc)).total_seconds()
        if left > 0:
            hours, minutes = int(left // 3600), int(left % 3600 // 60)
            self.window.set_text(f"⏱ Reply window closes in {hours} h {minutes:02d} min" if left >= 60
                                 else f"⏱ Reply window closes in {int(left)} s")
            self.window.classes(replace="xc-muted" if left > 3600 else "text-warning")
            if self._clock is None or self._clock.done():
                self._clock = asyncio.ensure_future(self._follow_window(ui.context.client))
        else:
            self.window.set_text("⛔ The reply window has closed: send a template to reach the customer")
            self.window.classes(replace="text-negative")
            self.recontact.set_visibility(not self.note.value)
        self._apply_mode()

    async def _recontact(self) -> None:
        sent = await context.attempt(self.services.interactions.recontact(self.chat.principal, self.chat.id))
        if sent is not None:
            notices.tell("Recontact template sent.", kind="positive")

    def _note_mode(self) -> None:
        self._show_window()

    def _apply_mode(self) -> None:
        free_text = self.note.value or self._window_open()
        self.input.set_enabled(free_text)
        self.send_button.set_enabled(free_text)
        to_customer = not self.note.value  # a note is text only: files, voice and templates go to the customer
        self.mic.set_enabled(self._window_open() and to_customer)
        self.attach.set_enabled(self.attachments_enabled and self._window_open() and to_customer)
        self.template.set_enabled(to_customer)
        self.input.props(f"placeholder='{self._placeholder()}'")
        self.input.classes(replace="flex-grow bg-yellow-50" if self.note.value else "flex-grow")

    def _placeholder(self) -> str:
        if self.note.value:
            return "Internal note: only your team sees it"
        return "Type a message" if self._window_open() else "Window closed: send a template"

    async def send(self) -> None:
        text = (self.input.value or "").strip()
        if not text:
            return
        interactions = self.services.interactions
        if self.note.value:
            done = await context.attempt(interactions.add_note(self.chat.principal, self.chat.id, text))
        else:
            done = await context.attempt(interactions.send_text(self.chat.principal, self.chat.id, text))
        if done is not None:
            self.input.set_value("")

    def _fill_emoji(self) -> None:
        if self.emoji_menu.default_slot.children:
            return
        with self.emoji_menu, ui.grid(columns=8).classes("p-2 gap-1"):
            for emoji in EMOJI:
                ui.button(emoji, on_click=lambda e=emoji: self._insert(e)).props("flat dense").classes("text-lg")

    def _insert(self, text: str) -> None:
        self.input.set_value((self.input.value or "") + text)
        self.input.run_method("focus")

    async def _canned(self) -> None:
        with context.dialog() as dialog, ui.card().classes("w-[480px]"):
            ui.label("Canned answers").classes("text-lg font-medium")
            search = ui.input(placeholder="Search").props("outlined dense autofocus clearable").classes(
                "w-full").mark("canned-search")
            results = ui.column().classes("w-full gap-1 max-h-[360px] overflow-auto")

            async def show() -> None:
                answers = await context.attempt(self.services.interactions.canned_answers(
                    self.chat.principal, self.chat.id, search.value or "")) or []
                results.clear()
                with results:
                    if not answers:
                        ui.label("No canned answer matches.").classes("xc-muted")
                    for answer in answers:
                        text = answer["text"]

                        def use(t: str = text) -> None:
                            self._insert(t)
                            dialog.close()

                        with ui.item(on_click=use).classes("xc-tab w-full").mark("canned-answer"):
                            with ui.item_section():
                                ui.item_label(answer["name"]).classes("font-medium")
                                ui.item_label(text).props("caption")

            search.on_value_change(show)
            await show()
        dialog.open()

    async def _upload(self, event: UploadEventArguments) -> None:
        if self.note.value:
            self.upload.reset()
            notices.tell("Files go to the customer: switch off Internal note to send one.", kind="warning")
            return
        caption = (self.input.value or "").strip()
        done = await context.attempt(self.services.interactions.send_file(
            self.chat.principal, self.chat.id, StreamedUpload(event, caption)))
        self.upload.reset()
        if done is not None and caption:
            self.input.set_value("")

    async def _voice(self) -> None:
        if not self.recording:
            # One script: a run_javascript that is not awaited is sent after the next awaited one.
            try:
                started = await ui.run_javascript(
                    VOICE_JS + "\ntry { return await window.xcVoice.start(); } catch (e) { return false; }",
                    timeout=10)
            except Exception:  # no answer from the browser
                started = False
            if not started:  # the browser refused the microphone, or has none
                notices.tell("The microphone is not available in this browser.", kind="warning")
                return
            self.recording = True
            self.mic.props("color=negative icon=stop title='Stop and send'")
            return
        self.recording = False
        self.mic.props("color=primary icon=mic title='Record a voice message'")
        url = f"/api/v1/interactions/{self.chat.id}/messages"
        try:
            answer = await ui.run_javascript(
                f"return await window.xcVoice.stop({json.dumps(url)}, {json.dumps(context.token())})", timeout=60)
        except TimeoutError:
            answer = None
        if not answer or answer.get("status") != 201:
            try:
                message = json.loads(answer.get("body") or "{}")["error"]["message"]
            except (ValueError, KeyError, TypeError, AttributeError):
                message = "The voice message could not be sent."
            notices.tell(message, kind="warning")
