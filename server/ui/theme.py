"""The product's look: colors, type and the few shared styles every page uses."""
from __future__ import annotations

from nicegui import ui

CSS = """
body { background: #eef1f4; font-family: 'Inter', 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; }
.xc-card { background: white; border-radius: 10px; box-shadow: 0 1px 3px rgba(16, 24, 40, .08); }
.xc-muted { color: #667085; }
.xc-bubble { max-width: 72%; padding: 6px 10px 4px; border-radius: 10px; white-space: pre-wrap;
             word-break: break-word; box-shadow: 0 1px 1px rgba(0,0,0,.06); }
.xc-in { background: white; align-self: flex-start; border-top-left-radius: 2px; }
.xc-out { background: #d9fdd3; align-self: flex-end; border-top-right-radius: 2px; }
.xc-note { background: #fff7d6; align-self: center; border: 1px dashed #e0b200; max-width: 85%; }
.xc-failed { border: 1px solid #d92d20; }
.xc-meta { font-size: 11px; color: #667085; text-align: right; margin-top: 2px; }
.xc-reaction { display: inline-block; background: white; border-radius: 10px; padding: 0 6px; margin-top: 2px;
               box-shadow: 0 1px 2px rgba(0,0,0,.15); font-size: 14px; }
.xc-chat { background: #efeae2; }
.xc-avatar { width: 36px; height: 36px; border-radius: 50%; background: #128C7E; color: white; display: flex;
             align-items: center; justify-content: center; font-weight: 600; flex: none; }
.xc-field { margin-bottom: 6px; } .xc-field div:first-child { color: #667085; font-size: 12px; }
.xc-tab { border-radius: 8px; cursor: pointer; }
.xc-tab:hover { background: #f2f4f7; }
.xc-tab-active { background: #e7f6f3; }
"""


LOCAL_TIMES = """
<script>
(() => {
  const localize = (root) => root.querySelectorAll && root.querySelectorAll('.xc-time[data-utc]').forEach((el) => {
    const moment = new Date(el.dataset.utc);
    if (isNaN(moment)) return;
    const today = new Date().toDateString() === moment.toDateString();
    el.textContent = today ? moment.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})
                           : moment.toLocaleString([], {day: '2-digit', month: 'short',
                                                        hour: '2-digit', minute: '2-digit'});
    el.removeAttribute('data-utc');
  });
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => localize(n.parentNode || n))))
    .observe(document.body, {childList: true, subtree: true});
  localize(document);
})();
</script>
"""


def apply_theme() -> None:
    ui.colors(primary="#128C7E", secondary="#075E54", accent="#25D366", positive="#12b76a",
              negative="#d92d20", warning="#f79009", info="#2e90fa")
    ui.add_css(CSS)
    ui.add_body_html(LOCAL_TIMES)  # message times in the browser's own time zone
    ui.query("body").classes("text-[14px]")
