"""Figures as SVG (vector, crisp in print) for the board pack, drawn by kaleido in an installed Chrome/Chromium.

kaleido 1.x drives a real browser. Starting one costs one to three seconds, so each process starts one browser
(`kaleido.Kaleido`, its public async API) on an event loop in a thread of its own, the first time a chart is
asked for (or earlier, `warm_up`), and keeps it: every later chart costs about 0.2 s. `submit_svg` hands a
figure to that browser and returns at once with a future, so the board pack asks for each chart as soon as its
figure is made and gathers the rest of its content while the browser draws (in its own process, on another
core). Drawn charts are kept by content (`svg_key`: a SHA-256 of the figure's JSON and its size), so the same
figure is never drawn twice in a process: a second pack of unchanged data redraws nothing. kaleido is imported
only here, and only when a chart is exported, so nothing else in the app depends on it or on a browser.

Without Chrome/Chromium, `charts_available()` says so (with what to install) and `to_svg` raises
`ChartsUnavailable`; the board pack then prints each chart's data table instead.

Example:
    >>> ok, message = charts_available()
    >>> isinstance(ok, bool) and bool(message)
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

import plotly.graph_objects as go

from tracker.charts import TEMPLATE

INSTALL_HINT = "Charts need Chromium: apt-get install chromium"
WIDTH = 780  # px; the pack scales the SVG down to the page's text width (about 680 px on A4)
FIRST_TIMEOUT = 90.0  # seconds for the first chart (starts the browser)
TIMEOUT = 30.0  # seconds for each later chart
# Browser tabs drawing at once: a second draws a pack's charts ~0.5 s faster but takes ~0.8 s longer to start.
TABS = 1
CACHED = 256  # drawn charts kept per process, by content (about 25 kB each)
# Bumped whenever what an SVG looks like changes for the same figure (this module's post-processing).
EXPORT_VERSION = "1"

_lock = threading.Lock()
_browser: _Browser | None = None
_failure = ""  # why charts cannot be drawn in this process ("" while nothing has failed)
_cache: OrderedDict[str, str] = OrderedDict()


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


class _Broken(RuntimeError):
    """The browser is gone or stuck: no more charts from this process."""


class _Browser:
    """One kaleido browser on an event loop in a daemon thread; `submit` runs one export on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready: Future[Any] = Future()
        self.thread = threading.Thread(target=self._run, name="tracker-chart-browser", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open())
        except BaseException as exc:  # the browser never came up: every export fails with this
            if not self.ready.done():
                self.ready.set_exception(_Broken(_first_line(exc)))
            return
        self.loop.run_forever()

    async def _open(self) -> None:
        import kaleido

        # mathjax=False: no request to a CDN for a library these charts never use (machines may be offline).
        k = kaleido.Kaleido(n=TABS, timeout=TIMEOUT, mathjax=False)
        await k.open()
        self.ready.set_result(k)

    def submit(self, fig: dict[str, Any], opts: dict[str, Any]) -> Future[bytes]:
        """Draw `fig` (a figure's JSON dict) on the browser; the future holds the image's bytes."""
        out: Future[bytes] = Future()

        def started(ready: Future[Any]) -> None:
            exc = ready.exception()
            if exc is not None:
                out.set_exception(exc)
                return
            inner = asyncio.run_coroutine_threadsafe(ready.result().calc_fig(fig, opts=opts), self.loop)
            inner.add_done_callback(lambda f: _copy_result(f, out))

        self.ready.add_done_callback(started)
        return out

    def close(self) -> None:
        if threading.current_thread() is self.thread:  # from a callback on the loop itself: just stop it
            self.loop.call_soon(self.loop.stop)
            return
        if self.ready.done() and self.ready.exception() is None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.ready.result().close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _copy_result(source: Future[Any], target: Future[Any]) -> None:
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())  # type: ignore[arg-type]
    else:
        target.set_result(source.result())


def _browser_gone(exc: BaseException | None) -> bool:
    """Whether `exc` says the browser itself is gone (closed, crashed, or its pipe shut), not just one chart."""
    if exc is None:
        return False
    try:
        from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError
    except ImportError:
        return False
    return isinstance(exc, (BrowserClosedError, BrowserFailedError, ChannelClosedError))


def _start() -> _Browser:
    """The process's browser, started on first use (the caller holds the lock)."""
    global _browser
    if _browser is None:
        # choreographer logs a half-read message from the browser's pipe when the process exits; it is harmless.
        logging.getLogger("choreographer.channels.pipe").addFilter(_quiet_shutdown)
        _browser = _Browser()
    return _browser


def _quiet_shutdown(record: logging.LogRecord) -> bool:
    return "JSONError decoding message" not in record.getMessage()


def _fail(reason: str, *, sticky: bool) -> ChartsUnavailable:
    """The error to raise; a `sticky` failure (browser gone or stuck) stops chart drawing in this process."""
    global _failure, _browser
    message = f"{INSTALL_HINT} (drawing charts failed: {reason})."
    if sticky:
        _failure = message
        with _lock:
            if _browser is not None:
                with contextlib.suppress(Exception):
                    _browser.close()
                _browser = None
    return ChartsUnavailable(message)


def export_size(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> tuple[int, int]:
    """(width, height) in px that `to_svg` draws `fig` at: the SVG's own size, known before it is drawn.

    Example:
        >>> export_size(go.Figure(layout={"height": 300}))
        (780, 300)
    """
    return int(width), int(height or fig.layout.height or 380)


def export_spec(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> tuple[str, dict[str, Any]]:
    """(key, figure JSON as drawn): the figure with the `tracker` template (so it never picks up Streamlit's
    placeholder colours, which print near-black), and its content address, a SHA-256 of that JSON with the
    export's size and format. Two figures with the same key draw the same SVG.

    Example:
        >>> a = export_spec(go.Figure(go.Bar(x=[1], y=["a"])))[0]
        >>> a == export_spec(go.Figure(go.Bar(x=[1], y=["a"])))[0], a == export_spec(go.Figure(go.Bar(x=[2])))[0]
        (True, False)
    """
    from plotly.utils import PlotlyJSONEncoder

    w, h = export_size(fig, width=width, height=height)
    data = fig.to_plotly_json()
    data["layout"] = {**data["layout"], "template": _template_json()}
    text = json.dumps([EXPORT_VERSION, w, h, data], cls=PlotlyJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), {"fig": data, "width": w, "height": h}


@functools.cache
def _template_json() -> dict[str, Any]:
    """The `tracker` template as plotly.js reads it (the browser knows no template by name)."""
    import plotly.io as pio

    return dict(pio.templates[TEMPLATE].to_plotly_json())


def cached_svg(key: str) -> str | None:
    """The SVG drawn for `key` (an `export_spec` key) in this process, if any.

    Example:
        >>> cached_svg("0" * 64) is None
        True
    """
    with _lock:
        svg = _cache.get(key)
        if svg is not None:
            _cache.move_to_end(key)
        return svg


def _keep(key: str, svg: str) -> None:
    with _lock:
        _cache[key] = svg
        _cache.move_to_end(key)
        while len(_cache) > CACHED:
            _cache.popitem(last=False)


def submit_svg(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> Future[str]:
    """Start drawing `fig` as SVG and return at once; the future holds the SVG text (from this process's cache
    when the same figure was drawn before), or raises `ChartsUnavailable`. Wait on it with a time limit.

    Example:
        >>> svg = submit_svg(go.Figure(go.Bar(x=[1], y=["a"]))).result(timeout=90)  # doctest: +SKIP
        >>> svg[:4]  # doctest: +SKIP
        '<svg'
    """
    out: Future[str] = Future()
    ok, why = charts_available()
    if not ok:
        out.set_exception(ChartsUnavailable(why))
        return out
    key, spec = export_spec(fig, width=width, height=height)
    svg = cached_svg(key)
    if svg is not None:
        out.set_result(svg)
        return out
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        out.set_exception(_fail(f"kaleido is not installed: {exc}", sticky=True))
        return out
    with _lock:
        browser = _start()
    drawn = browser.submit(spec["fig"], {"format": "svg", "width": spec["width"], "height": spec["height"]})

    def done(f: Future[bytes]) -> None:
        exc = f.exception()
        if isinstance(exc, _Broken) or _browser_gone(exc):
            out.set_exception(_fail(_first_line(exc) if exc else "the browser stopped", sticky=True))
        elif exc is not None:  # this figure failed; the browser is still there for the next one
            out.set_exception(_fail(_first_line(exc), sticky=False))
        else:
            text = bytes(f.result()).decode("utf-8")
            if not text.lstrip().startswith("<svg"):
                out.set_exception(_fail("the browser returned something that is not SVG", sticky=False))
                return
            text = flatten_pattern_opacity(text)
            _keep(key, text)
            out.set_result(text)

    drawn.add_done_callback(done)
    return out


def wait_svg(future: Future[str], *, first: bool = False) -> str:
    """The SVG of a `submit_svg` future, waiting at most FIRST_TIMEOUT seconds (`first`: the browser may still
    be starting) or TIMEOUT; a chart not drawn by then stops chart drawing in this process (ChartsUnavailable).

    Example:
        >>> f: Future[str] = Future(); f.set_result("<svg/>")
        >>> wait_svg(f)
        '<svg/>'
    """
    from concurrent.futures import TimeoutError as FutureTimeout

    limit = FIRST_TIMEOUT if first else TIMEOUT
    try:
        return future.result(timeout=limit)
    except FutureTimeout:
        raise _fail(f"the browser did not draw the chart within {limit:g} s", sticky=True) from None


def to_svg(fig: go.Figure, *, width: int = WIDTH, height: int | None = None) -> str:
    """The figure as SVG text, drawn by kaleido in the process's one browser (or taken from the cache).

    The figure is drawn with the `tracker` template (`export_spec`). Raises `ChartsUnavailable` when there is
    no browser or it fails to draw.

    Example:
        >>> import plotly.graph_objects as go
        >>> to_svg(go.Figure(go.Bar(x=[1], y=["a"])))[:4]  # doctest: +SKIP
        '<svg'
    """
    first = _browser is None or not _browser.ready.done()
    return wait_svg(submit_svg(fig, width=width, height=height), first=first)


def browser_ready(timeout: float = FIRST_TIMEOUT) -> bool:
    """Wait at most `timeout` seconds for this process's browser (started by `warm_up` or a first chart) to be
    ready to draw; False when none was started, it failed, or it is not ready yet.

    Example:
        >>> isinstance(browser_ready(0), bool)
        True
    """
    from concurrent.futures import TimeoutError as FutureTimeout

    browser = _browser
    if browser is None:
        return False
    try:
        browser.ready.result(timeout=timeout)
    except (FutureTimeout, Exception):
        return False
    return True


def warm_up() -> threading.Thread | None:
    """Start the browser in the background (one to three seconds) while the caller does other work; None
    without a browser. Charts asked for meanwhile wait for it.

    Example:
        >>> warm_up() is None or browser_ready(90)  # doctest: +SKIP
        True
    """
    if _browser is not None or not charts_available()[0]:
        return None
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return None
    with _lock:
        browser = _start()
    return browser.thread


_PATTERN = re.compile(r"<pattern\b.*?</pattern>", re.S)
_RGB = r"rgb\((\d+),\s*(\d+),\s*(\d+)\)"


def flatten_pattern_opacity(svg: str) -> str:
    """Bake each bar pattern's see-through strokes into solid colours.

    plotly draws a pattern as white marks at `opacity="0.375"` over the bar colour; PDF renderers differ on
    opacity inside a pattern tile (some draw the marks fully white, which hides the bar's label), so the
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
