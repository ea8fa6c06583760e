"""The desk's sound: one shared AudioContext per page, the offer chime, and a "Turn on sound" prompt.

Browsers keep a page's audio suspended until the person clicks or types on it (autoplay policy), so after a
reload offers would arrive silently. The prompt is shown while the page's audio is not running; any click or
key on the page (the prompt invites one) resumes it. All of this happens in the browser: the server only
asks for a chime.
"""
from __future__ import annotations

from nicegui import ui

PROMPT_CLASS = "xc-sound-prompt"
PROMPT_TEXT = "Turn on sound"
PROMPT_TITLE = "Your browser keeps offers silent until you click here"

# The prompt is hidden unless <html> carries `xc-sound-off` (toggled by SCRIPT): a class on <html> survives
# Vue's re-rendering of the prompt, and a page without Web Audio never shows a prompt it cannot act on.
CSS = f"html:not(.xc-sound-off) .{PROMPT_CLASS} {{ display: none !important; }}"

SCRIPT = """
<script>
(() => {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context || window.xcSound) return;
  const sound = window.xcSound = new Context();
  sound.played = 0;  // chimes played, so that a test (or a curious agent) can tell
  const show = () => document.documentElement.classList.toggle('xc-sound-off', sound.state !== 'running');
  const wake = () => { if (sound.state !== 'running') sound.resume().catch(() => {}); };
  sound.addEventListener('statechange', show);
  ['pointerdown', 'pointerup', 'keydown'].forEach((type) => document.addEventListener(type, wake, true));
  window.xcChime = () => {
    if (sound.state !== 'running') return false;  // scheduled now, it would sound late, at the resume
    const now = sound.currentTime;
    [[0, 880], [0.18, 1175]].forEach(([delay, pitch]) => {
      const tone = sound.createOscillator(), gain = sound.createGain();
      tone.frequency.value = pitch; tone.connect(gain); gain.connect(sound.destination);
      gain.gain.setValueAtTime(0.15, now + delay);
      gain.gain.exponentialRampToValueAtTime(0.001, now + delay + 0.25);
      tone.start(now + delay); tone.stop(now + delay + 0.3);
    });
    sound.played += 1;
    return true;
  };
  show();
})();
</script>
"""


def install_sound() -> None:
    """Give the page being built its shared AudioContext and chime, and place the prompt here (in the
    current NiceGUI context). Once per page."""
    ui.add_css(CSS)
    ui.add_body_html(SCRIPT)
    ui.button(PROMPT_TEXT, icon="volume_off").props(
        f"dense unelevated no-caps color=warning text-color=black title='{PROMPT_TITLE}'").classes(
        f"{PROMPT_CLASS} px-2")


def chime() -> None:
    """Play the offer chime in the current client's page (nothing while its audio is suspended)."""
    ui.run_javascript("window.xcChime && window.xcChime()")
