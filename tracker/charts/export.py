"""Figures as SVG (vector, crisp in print) for the board pack, drawn by kaleido in an installed Chrome/Chromium.

kaleido 1.x drives a real browser. Starting one costs about 3 s, so the first export starts kaleido's one sync
server for the whole process (`kaleido.start_sync_server()`) and every later chart costs about 0.2 s. Calls are
serialised with a lock: the server holds one browser tab and one queue, and Streamlit serves sessions from
several threads. kaleido is imported only here, and only when a chart is exported, so nothing else in the
app depends on it or on a browser.

Without Chrome/Chromium, `charts_available()` says so (with what to install) and `to_svg` raises
`ChartsUnavailable`; the board pack then prints each chart's data table instead.

Example:
    >>> ok, message = charts_available()
    >>> isinstance(ok, bool) and bool(message)
    True
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from typing import Any

import plotly.graph_objects as go

from tracker.charts import TEMPLATE

INSTALL_HINT = "Charts need Chromium: apt-get install chromium"
WIDTH = 780  # px; the pack scales the SVG down to the page's text width (about 680 px on A4)
FIRST_TIMEOUT = 90.0  # seconds for the first chart (starts the browser)
TIMEOUT = 30.0  # seconds for each later chart

_lock = threading.Lock()
_started = False
_failure = ""  # why charts cannot be drawn in this process ("" while nothing has failed)


class ChartsUnavailable(RuntimeError):
    """No browser to draw charts with (or it failed); the message says what to install."""


def browser_path() -> str | None:
    """The Chrome/Chromium kaleido would use: `BROWSER_PATH`, then the usual names on PATH and places; None
    when there is none (or `BROWSER_PATH` names something that is not an executable).

    Example:
        >>> path = browser_path()
        >>> path is None or os.access(path, os.X_OK)
        True
    """
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:  # kaleido (and its choreographer) not installed
        return None
    try:
        path = Chromium.find_browser(skip_local=False)
    except Exception:  # best effort: any failure to look means "no browser"
        return None
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return str(path)
    return None


def charts_available() -> tuple[bool, str]:
    """(True, where the browser is) when charts can be drawn; (False, why not and what to install) otherwise.

    Cheap: it looks for the browser without starting it.

    Example:
        >>> charts_available()[1].startswith(("Charts are drawn", "Charts need"))
        True
    """
    if _failure:
        return False, _failure
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False, f"{INSTALL_HINT} (and the kaleido package: pip install kaleido)."
    path = browser_path()
    if path is None:
        return False, f"{INSTALL_HINT} (no Chrome or Chromium found on this machine)."
    return True, f"Charts are drawn with the browser at {path}."


def _server_thread() -> threading.Thread | None:
    import kaleido

    thread = getattr(kaleido._global_server, "_thread", None)
    return thread if isinstance(thread, threading.Thread) else None


def _call(fig: go.Figure, opts: dict[str, Any], timeout: float) -> bytes:
    """Run one export on kaleido's server (the caller holds the lock).

    kaleido's sync call waits forever if its browser never came up (the server thread has died), so the call
    runs in a helper thread that is abandoned when the server thread dies or `timeout` seconds pass.
    """
    import kaleido

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["out"] = kaleido.calc_fig_sync(fig, opts=opts)
        except BaseException as exc:  # handed to the caller's thread
            box["err"] = exc

    worker = threading.Thread(target=run, name="tracker-chart-export", daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        worker.join(0.05)
        server = _server_thread()
        if worker.is_alive() and (server is None or not server.is_alive()):
            raise _Broken("the browser stopped (or never started)")
        if worker.is_alive() and time.monotonic() > deadline:
            raise _Broken(f"the browser did not draw the chart within {timeout:g} s")
    if "err" in box:
        raise box["err"]
    return bytes(box["out"])


class _Broken(RuntimeError):
    """The browser is gone or stuck: no more charts from this process."""


def _start() -> None:
    """Start kaleido's sync server once per process (the caller holds the lock)."""
    global _started
    if _started:
        return
    import kaleido

    # choreographer logs a half-read message from the browser's pipe when the process exits; it is harmless.
    logging.getLogger("choreographer.channels.pipe").addFilter(_quiet_shutdown)
    # mathjax=False: no request to a CDN for a library these charts never use (machines may be offline).
    kaleido.start_sync_server(n=1, timeout=TIMEOUT, mathjax=False, silence_warnings=True)
    _started = True


def _quiet_shutdown(record: logging.LogRecord) -> bool:
    return "JSONError decoding message" not in record.getMessage()


def _fail(reason: str, *, sticky: bool) -> ChartsUnavailable:
    """The error to raise; a `sticky` failure (browser gone or stuck) stops chart drawing in this process."""
    global _failure, _started
    message = f"{INSTALL_HINT} (drawing charts failed: {reason})."
    if sticky:
        _failure = message
        with contextlib.suppress(Exception):
            server = _server_thread()
            if server is None or not server.is_alive():
                import kaleido

                kaleido.stop_sync_server(silence_warnings=True)
                _started = False
    return ChartsUnavailable(message)


def export_size(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> tuple[int, int]:
    """(width, height) in px that `to_svg` draws `fig` at: the SVG's own size, known before it is drawn.

    Example:
        >>> export_size(go.Figure(layout={"height": 300}))
        (780, 300)
    """
    return int(width), int(height or fig.layout.height or 380)


def to_svg(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> str:
    """The figure as SVG text, drawn by kaleido in the process's one browser.

    The figure is copied and given the `tracker` template (so it never picks up Streamlit's placeholder colours,
    which print near-black). Raises `ChartsUnavailable` when there is no browser or it fails to draw.

    Example:
        >>> import plotly.graph_objects as go
        >>> to_svg(go.Figure(go.Bar(x=[1], y=["a"])))[:4]  # doctest: +SKIP
        '<svg'
    """
    ok, why = charts_available()
    if not ok:
        raise ChartsUnavailable(why)
    figure = go.Figure(fig)
    figure.update_layout(template=TEMPLATE)
    w, h = export_size(figure, width=width, height=height)
    opts = {"format": "svg", "width": w, "height": h}
    with _lock:
        first = not _started
        try:
            _start()
            data = _call(figure, opts, FIRST_TIMEOUT if first else TIMEOUT)
        except ImportError as exc:
            raise _fail(f"kaleido is not installed: {exc}", sticky=True) from exc
        except _Broken as exc:
            raise _fail(str(exc), sticky=True) from exc
        except Exception as exc:  # this figure failed; the browser is still there for the next one
            raise _fail(_first_line(exc), sticky=False) from exc
    text = data.decode("utf-8")
    if not text.lstrip().startswith("<svg"):
        raise _fail("the browser returned something that is not SVG", sticky=False)
    return flatten_pattern_opacity(text)


def warm_up() -> threading.Thread | None:
    """Start the browser in the background (about 3 s) while the caller does other work; None without a browser.

    The lock makes any `to_svg` call wait for the start to finish, so nothing is drawn twice or half-ready.
    """
    if _started or not charts_available()[0]:
        return None

    def start() -> None:
        with _lock, contextlib.suppress(Exception):  # to_svg reports a failure when asked for a chart
            _start()

    thread = threading.Thread(target=start, name="tracker-chart-warm-up", daemon=True)
    thread.start()
    return thread


_PATTERN = re.compile(r"<pattern\b.*?</pattern>", re.S)
_RGB = r"rgb\((\d+),\s*(\d+),\s*(\d+)\)"


def flatten_pattern_opacity(svg: str) -> str:
    """Bake each bar pattern's see-through strokes into solid colours.

    plotly draws a pattern as white marks at `opacity="0.375"` over the bar colour; PDF renderers differ on
    opacity inside a pattern tile (WeasyPrint draws the marks fully white, which hides the bar's label), so the
    marks get the colour they would show: white blended over the tile's fill.

    Example:
        >>> flatten_pattern_opacity('<pattern id="p"><rect fill="rgb(0, 0, 100)"/>'
        ...                         '<path opacity="0.5" stroke="rgb(255, 255, 255)"/></pattern>')
        '<pattern id="p"><rect fill="rgb(0, 0, 100)"/><path stroke="rgb(128, 128, 178)"/></pattern>'
    """

    def fix(m: re.Match[str]) -> str:
        tile = m.group(0)
        base = re.search(r"<rect\b[^>]*\bfill=\"" + _RGB, tile)
        if base is None:
            return tile
        under = tuple(int(x) for x in base.groups())

        def mark(el: re.Match[str]) -> str:
            text = el.group(0)
            alpha_m = re.search(r'\sopacity="([\d.]+)"', text)
            if alpha_m is None:
                return text
            alpha = float(alpha_m.group(1))

            def blend(c: re.Match[str]) -> str:
                over = (int(c.group(2)), int(c.group(3)), int(c.group(4)))
                mixed = [round(u * (1 - alpha) + o * alpha) for u, o in zip(under, over, strict=True)]
                return f'{c.group(1)}="rgb({mixed[0]}, {mixed[1]}, {mixed[2]})"'

            text = re.sub(r'(stroke|fill)="' + _RGB + '"', blend, text)
            return text.replace(alpha_m.group(0), "")

        return re.sub(r"<(?:path|circle)\b[^>]*>", mark, tile)

    return _PATTERN.sub(fix, svg)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def accessible_svg(svg: str, *, label: str, ident: str) -> str:
    """The SVG with `role="img"`, `aria-label` and a `<title>` holding `label` (a PDF/UA figure's alternative
    text), its size left to CSS, and its internal ids prefixed with `ident` so several charts can share one page.

    Example:
        >>> out = accessible_svg('<svg width="700" height="300" viewBox="0 0 700 300"><g id="a" clip-path="url(#a)"/>'
        ...                      '</svg>', label='6 actions & "more"', ident="c1")
        >>> print(out)  # doctest: +NORMALIZE_WHITESPACE
        <svg width="700" height="300" viewBox="0 0 700 300" role="img" aria-label="6 actions &amp; &quot;more&quot;"
        class="chart-svg"><title>6 actions &amp; "more"</title><g id="c1-a" clip-path="url(#c1-a)"/></svg>
    """
    from html import escape

    m = _SVG_OPEN.search(svg)
    if m is None:
        raise ValueError("not an SVG document")
    body = svg[m.end() :]
    # plotly gives every id a random suffix already; the prefix makes clashes impossible, not just unlikely.
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    if ids:
        names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        body = re.sub(rf'(\bid="|#)({names})(?=["\')])', rf"\g<1>{ident}-\g<2>", body)
    opening = m.group(0)[:-1].rstrip("/").rstrip()
    opening = re.sub(r'\s(?:role|aria-label|class)="[^"]*"', "", opening)
    opening += f' role="img" aria-label="{escape(label, quote=True)}" class="chart-svg">'
    return svg[: m.start()] + opening + f"<title>{escape(label, quote=False)}</title>" + body
