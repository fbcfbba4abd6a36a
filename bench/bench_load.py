"""Benchmark: people at once. One Streamlit server, many simulated people over websockets, no browsers.

Not a test (CI never runs it). Run `.venv/bin/python bench/bench_load.py --help`.

The server is the app as deployed: `python -m streamlit run app.py --server.headless true` on a free port, in its
own process, with `TRACKER_DATABASE_URL` pointing at a fresh copy of the large institution (bench/large.py, the
SQLite file bench/bench_pages.py builds and caches under bench/out/) in which each simulated person has an
administrator account of their own with a password (the generated database holds none): `admin@large.ac.uk` through
the tracker's own `tracker.users.set_password`, `bench-admin-NNN@large.ac.uk` through `tracker.users.add_user`. One
account each because the tracker counts a sign-in attempt against its account while it is being checked: more than
three in flight on one account lock it. People connect from ::1, which Streamlit passes to the app as no address
(from 127.0.0.1 the dual-stack server sees them all at one address, whose in-flight attempts are counted together:
`--host 127.0.0.1`). Module file watching is off (`--server.fileWatcherType none`), so edits to the working tree
during a run cannot reload modules mid-run.

Each simulated person is one websocket session on `/_stcore/stream` speaking Streamlit's protocol as the browser
does (`streamlit.proto` BackMsg / ForwardMsg, binary frames, subprotocol "streamlit"):

1. connect, and send a `rerun_script` (ClientState: empty query string, no page hash, no widget states, the
   browser's context info): the app answers with its sign-in page;
2. sign in: the form's "Email" and "Password" text inputs and its "Sign in" submit button are read from that
   run's deltas (their widget ids), and one `rerun_script` carries all three widget states (the two strings and the
   button's trigger), as the browser sends a submitted form; the app checks the password (scrypt) and reruns;
3. switch page every `--think-min`..`--think-max` seconds (uniform; default 5-15 s, so ~10 s) to a random other
   page of the navigation the server sent (every page in app.py's PAGE_SPECS: the administrator sees them all),
   with a `rerun_script` naming the page's `page_script_hash`, as the browser's page navigation does. Each switch
   is timed from sending that BackMsg to receiving the ForwardMsg `script_finished` (FINISHED_SUCCESSFULLY) of the
   run that renders the page. Messages the browser would keep cached (`metadata.cacheable`) are remembered and
   their hashes sent back with each rerun, as the browser's message cache does.

People are ramped in over `--ramp` seconds. Before each level one untimed person visits every page (imports,
`st.cache_data`: a server that has been up a while). Each level then runs for `--duration` seconds after the
ramp; switches sent in that window are the figures. An error is a run that showed an exception, a run that landed
on another page, a closed connection or a sign-in that failed; a timeout is a run with no `script_finished` within
`--timeout` seconds (the person then reconnects, as someone would reload; the switch counts in the percentiles as
the timeout); people not signed in when the window closes are counted too.

The server's memory, from /proc: its own high-water mark (VmHWM, started again after the warm-up through
/proc/PID/clear_refs, so a level's peak is its own) plus the most its child processes' PSS reached (sampled every
second: the Chromium the board-report page starts to draw charts). Its CPU is read from /proc too.

Each level (`--people`, default 25,50,100,200) is measured twice back to back, with a fresh server and database
each time: Streamlit's default (`--runner.postScriptGC true`: `gc.collect(2)` after every script run) and
`--runner.postScriptGC false` (what the app's .streamlit/config.toml sets since these measurements), both named on
the command line (`--gc` picks one). Target: 100 people at p95 <= 0.5 s on one server process.

`--long` runs one level (default 50 people, `--gc off`) for `--duration` seconds (an hour: 3600; 600 for a
10-minute development run), samples the server's RSS every `--sample-every` seconds, and says whether memory grows
without bound: the mean of the last quarter's samples against the first quarter's (target: at most 10% more), the
slope over the second half, and the maximum.

Prints a table and merges figures into bench/results.json (`load_<n>people_<gc>_...`, `load_long_<gc>_...`).
Always exits 0: it reports misses.

Example:
    .venv/bin/python bench/bench_load.py                                  # 25/50/100/200 people, GC default and off
    .venv/bin/python bench/bench_load.py --people 100 --duration 60 --gc off
    .venv/bin/python bench/bench_load.py --long --duration 600 --people 50 --gc off   # 10 minutes
    .venv/bin/python bench/bench_load.py --long --duration 3600 --people 50           # the hour
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LOGS = OUT / "load"
RESULTS = ROOT / "bench" / "results.json"
P95_TARGET = 0.5
TARGET_PEOPLE = 100
LONG_GROWTH_TARGET_PCT = 10.0
PASSWORD = "bench-load passphrase, not a secret"  # set on a throwaway copy of the generated database only
GC_MODES = ("default", "off")
# Where the people connect from. The server listens on every address (IPv6 and IPv4-mapped); from ::1 Streamlit
# gives the app no client address (st.context.ip_address is None), as from people on many addresses. From
# 127.0.0.1 the app sees them all at "::ffff:127.0.0.1": one source, whose sign-in attempts the tracker counts
# together while they are in flight (`--host 127.0.0.1` shows that limit).
HOST = "::1"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import load_results  # noqa: E402
from bench_pages import ADMIN, cached_sqlite, sqlite_copy  # noqa: E402

# --- the server -------------------------------------------------------------------------------------------------


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def account(i: int) -> str:
    """Person i's account: the large institution's administrator, then one more administrator per person."""
    return ADMIN if i == 0 else f"bench-admin-{i:03d}@large.ac.uk"


def prepared_database(cached: Path, workdir: Path, accounts: int) -> Path:
    """A copy of the large institution where `accounts` administrators (account(0) .. account(accounts - 1)) have
    PASSWORD, set with the tracker's own functions (once: each server gets a copy of this file).

    One account per person: the tracker counts a sign-in attempt against its account before checking the password
    (so parallel guesses cannot slip past the limit), and more than FREE_FAILURES attempts in flight at once on one
    account lock it: many people signing in as the same administrator in the same second are refused."""
    from sqlmodel import Session

    import tracker.db
    from tracker.users import add_user, set_password

    db = sqlite_copy(cached, workdir)
    engine = tracker.db.open_engine(db.url)
    t0 = time.perf_counter()
    with Session(engine) as s:
        set_password(session=s, email=ADMIN, password=PASSWORD)
        for i in range(1, accounts):
            add_user(session=s, email=account(i), role="admin", name=f"Bench person {i}", password=PASSWORD)
        s.commit()
    tracker.db.dispose_all()
    print(f"{accounts} administrator account(s) with a password in {time.perf_counter() - t0:.0f} s")
    return Path(db.url.removeprefix("sqlite:///"))


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out += [int(c) for c in text]
    except OSError:
        pass
    return out


def _status_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class Server:
    """`python -m streamlit run app.py` in its own process on a copy of the database."""

    def __init__(self, db_path: Path, gc: str, log: Path) -> None:
        self.port = free_port()
        self.gc = gc
        self.log_path = log
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ]
        # Both settings named on the command line: the app's own .streamlit/config.toml turns the collection off,
        # so "default" (Streamlit's, a full collection after every run) must be asked for.
        cmd += ["--runner.postScriptGC", "false" if gc == "off" else "true"]
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{db_path}"}
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s")

    def tree(self) -> list[int]:
        """The server's pid and its descendants' (e.g. the Chromium the board-report page starts for charts)."""
        pids, seen = [self.pid], []
        while pids:
            pid = pids.pop()
            if pid not in seen:
                seen.append(pid)
                pids += _children(pid)
        return seen

    def rss_mb(self) -> float:
        """The server process's own resident set."""
        return _status_kb(self.pid, "VmRSS") / 1024

    def children_mb(self) -> float:
        """Its descendants' proportional set sizes (PSS: pages they share are counted once, not per process)."""
        total = 0
        for pid in self.tree()[1:]:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            except (OSError, ValueError, IndexError):
                pass
        return total / 1024

    def hwm_mb(self) -> float:
        return _status_kb(self.pid, "VmHWM") / 1024

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.pid)

    def reset_hwm(self) -> None:
        """Start the server's high-water mark again from its current RSS (Linux: 5 > /proc/PID/clear_refs)."""
        with suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


# --- one simulated person -----------------------------------------------------------------------------------


class RunTimeout(Exception):
    pass


@dataclass
class RunResult:
    seconds: float
    page_hash: str = ""  # the page the run rendered (its new_session)
    exceptions: int = 0
    elements: list[Any] = field(default_factory=list)  # the run's new elements (kept only when asked)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (page_script_hash, url_pathname) from navigation
    sidebar_caption: str = ""
    alerts: list[str] = field(default_factory=list)  # st.error / st.warning texts the run showed


@dataclass
class Stats:
    """Everything one level measured."""

    window_start: float = math.inf
    window_end: float = math.inf
    switches: list[tuple[float, float, str]] = field(default_factory=list)  # (sent at, seconds, page) in the window
    sign_ins: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0  # sign-ins at any time, switches sent in the window
    switch_timeouts: int = 0  # switches sent in the window that timed out (counted in `timeouts` too)
    signed_in: int = 0
    stopping: bool = False

    def in_window(self, t: float) -> bool:
        return self.window_start <= t < self.window_end


def context_info(port: int) -> Any:
    from streamlit.proto.ClientState_pb2 import ContextInfo

    return ContextInfo(
        timezone="Europe/London",
        timezone_offset=0,
        locale="en-GB",
        url=f"http://{url_host(HOST)}:{port}/",
        is_embedded=False,
        color_scheme="light",
    )


class Person:
    """One browser tab's websocket session."""

    def __init__(self, port: int, timeout: float, email: str = ADMIN) -> None:
        self.port = port
        self.email = email
        self.timeout = timeout
        self.ws: Any = None
        self.cached: set[str] = set()
        self.current = ""
        self.pages: list[tuple[str, str]] = []

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.cached.clear()
        self.ws = await connect(
            f"ws://{url_host(HOST)}:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            max_size=None,
            ping_interval=None,  # the browser sends no pings of its own; the server's are answered
            open_timeout=self.timeout,
            close_timeout=2,
        )

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            with suppress(Exception):  # a connection that is gone is closed
                await asyncio.wait_for(ws.close(), 5)

    async def rerun(self, page_hash: str, widgets: list[Any] | None = None, keep: bool = False) -> RunResult:
        """Send a rerun_script and wait for the end of the run it starts (script_finished, not early for rerun)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        state = ClientState(
            query_string="",
            widget_states=WidgetStates(widgets=widgets or []),
            page_script_hash=page_hash,
            page_name="",
            cached_message_hashes=sorted(self.cached),
            context_info=context_info(self.port),
        )
        msg = BackMsg(rerun_script=state)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            return await asyncio.wait_for(self._until_finished(t0, keep), self.timeout)
        except TimeoutError:
            raise RunTimeout from None

    async def _until_finished(self, t0: float, keep: bool) -> RunResult:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        result = RunResult(0.0)
        while True:
            data = await self.ws.recv()
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if fm.metadata.cacheable and fm.hash:
                self.cached.add(fm.hash)
            if kind == "new_session":
                result.page_hash = fm.new_session.page_script_hash
                result.exceptions = 0
                result.elements = []
                result.alerts = []
            elif kind == "navigation":
                result.pages = [(p.page_script_hash, p.url_pathname) for p in fm.navigation.app_pages]
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    result.exceptions += 1
                elif which == "alert":
                    result.alerts.append(el.alert.body[:120])
                if keep:
                    result.elements.append(el)
                if which == "markdown" and el.markdown.body.startswith("Signed in as"):
                    result.sidebar_caption = el.markdown.body
            elif kind == "script_finished" and fm.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                result.seconds = time.perf_counter() - t0
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    result.exceptions += 1
                return result

    async def sign_in(self) -> float:
        """Connect, load the sign-in page, submit the form; seconds from connecting to the signed-in page."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        t0 = time.perf_counter()
        await self.connect()
        first = await self.rerun("", keep=True)
        ids: dict[str, str] = {}
        for el in first.elements:
            which = el.WhichOneof("type")
            if which == "text_input" and el.text_input.label in ("Email", "Password"):
                ids[el.text_input.label] = el.text_input.id
            elif which == "button" and el.button.label == "Sign in" and el.button.is_form_submitter:
                ids["submit"] = el.button.id
        if len(ids) != 3:
            raise RuntimeError(f"no sign-in form on the first page (found {sorted(ids)})")
        widgets = [
            WidgetState(id=ids["Email"], string_value=self.email),
            WidgetState(id=ids["Password"], string_value=PASSWORD),
            WidgetState(id=ids["submit"], trigger_value=True),
        ]
        signed = await self.rerun(first.page_hash, widgets)
        if not signed.sidebar_caption or len(signed.pages) < 2:
            said = "; ".join(signed.alerts) or "no 'Signed in as' caption or no page list"
            raise RuntimeError(f"sign-in did not open the app ({said})")
        self.pages = signed.pages
        self.current = signed.page_hash
        return time.perf_counter() - t0

    async def switch(self, page_hash: str) -> RunResult:
        result = await self.rerun(page_hash)
        self.current = result.page_hash
        return result


def page_label(pages: list[tuple[str, str]], page_hash: str) -> str:
    return next((name or "home" for h, name in pages if h == page_hash), page_hash[:8])


async def visit_every_page(server: Server, timeout: float, peaks: dict[str, float]) -> str:
    """The untimed warm-up: sign in and open each page once, noting the server's peak RSS on each (cold: the first
    run of every page on this server) into `peaks`. Returns '' or what went wrong."""
    p = Person(server.port, timeout)
    try:
        server.reset_hwm()
        await p.sign_in()
        peaks["sign-in"] = server.hwm_mb()
        for h, _ in p.pages:
            server.reset_hwm()
            r = await p.switch(h)
            peaks[page_label(p.pages, h)] = server.hwm_mb()
            if r.exceptions:
                return f"page {page_label(p.pages, h)} showed an exception"
        return ""
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await p.close()


async def live(
    idx: int, port: int, stats: Stats, start_at: float, think: tuple[float, float], timeout: float, seed: int
) -> None:
    """One person from arriving to the end of the level: sign in, then switch pages until told to stop."""
    rng = random.Random(seed * 100_003 + idx)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    p = Person(port, timeout, account(idx))
    try:
        while not stats.stopping:
            if p.ws is None:
                try:
                    stats.sign_ins.append(await p.sign_in())
                    stats.signed_in += 1
                except RunTimeout:
                    stats.timeouts += 1
                    await p.close()
                    await asyncio.sleep(1)
                    continue
                except Exception as exc:
                    stats.errors[f"sign-in: {type(exc).__name__}: {str(exc)[:80]}"] += 1
                    await p.close()
                    await asyncio.sleep(1)
                    continue
            await asyncio.sleep(rng.uniform(*think))
            if stats.stopping:
                break
            target = rng.choice([h for h, _ in p.pages if h != p.current])
            sent = time.monotonic()
            try:
                r = await p.switch(target)
            except RunTimeout:
                if stats.in_window(sent):
                    stats.timeouts += 1
                    stats.switch_timeouts += 1
                await p.close()  # a late script_finished must not end the next run's wait: start again
                continue
            except Exception as exc:
                if stats.in_window(sent):
                    stats.errors[f"switch: {type(exc).__name__}: {str(exc)[:80]}"] += 1
                await p.close()
                continue
            if not stats.in_window(sent):
                continue
            name = page_label(p.pages, target)
            if r.page_hash != target:
                stats.errors[f"asked for {name}, got {page_label(p.pages, r.page_hash)}"] += 1
            elif r.exceptions:
                stats.errors[f"{name} showed an exception"] += 1
            else:
                stats.switches.append((sent, r.seconds, name))
    finally:
        await p.close()


@dataclass
class Level:
    people: int
    gc: str
    duration: float
    stats: Stats
    timeout: float = 30.0
    hwm_mb: float = 0.0  # the server process's high-water mark from the end of the warm-up to the end of the window
    children_peak_mb: float = 0.0  # its descendants' PSS, the most sampled
    start_mb: float = 0.0  # the server's peak from start to healthy
    warmup_peaks: dict[str, float] = field(default_factory=dict)  # peak RSS on each page's first (cold) run
    idle_mb: float = 0.0  # the server's RSS after the warm-up, before anyone arrives
    end_mb: float = 0.0
    server_cpu_s: float = 0.0  # in the window
    client_cpu_s: float = 0.0  # this process (the load generator) in the window
    load_avg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    samples: list[tuple[float, float, float]] = field(
        default_factory=list
    )  # (s since the window opened, RSS, children)
    not_signed_in: int = 0  # people who had not signed in when the window closed
    error: str = ""

    @property
    def peak_mb(self) -> float:
        return self.hwm_mb + self.children_peak_mb

    @property
    def times(self) -> list[float]:
        return [s for _, s, _ in self.stats.switches]

    def pct(self, q: float) -> float | None:
        """The q-quantile of the window's page switches, those that timed out counted as taking the timeout."""
        t = sorted(self.times + [self.timeout] * self.stats.switch_timeouts)
        if not t:
            return None
        return t[min(len(t) - 1, max(0, math.ceil(q * len(t)) - 1))]

    @property
    def runs_per_s(self) -> float:
        return len(self.times) / self.duration if self.duration else 0.0

    @property
    def errors(self) -> int:
        return sum(self.stats.errors.values())


def _cpu_now(server: Server) -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return server.cpu_seconds(), ru.ru_utime + ru.ru_stime


async def run_level(
    server: Server,
    people: int,
    duration: float,
    ramp: float,
    think: tuple[float, float],
    timeout: float,
    seed: int,
    sample_every: float,
    long: bool,
) -> Level:
    stats = Stats()
    level = Level(people, server.gc, duration, stats, timeout)
    level.start_mb = server.hwm_mb()
    why = await visit_every_page(server, timeout, level.warmup_peaks)
    if why:
        level.error = f"warm-up: {why}"
        return level
    level.idle_mb = server.rss_mb()
    server.reset_hwm()  # the level's peak is its own, not the cold first runs' (those are in warmup_peaks)
    now = time.monotonic()
    gap = ramp / people if people else 0.0
    tasks = [
        asyncio.create_task(live(i, server.port, stats, now + i * gap, think, timeout, seed)) for i in range(people)
    ]
    stats.window_start = now + ramp
    stats.window_end = stats.window_start + duration
    cpu0: tuple[float, float] | None = None
    next_sample = stats.window_start
    while time.monotonic() < stats.window_end:
        await asyncio.sleep(1.0)
        t = time.monotonic()
        if cpu0 is None and t >= stats.window_start:
            cpu0 = _cpu_now(server)
        children = server.children_mb()
        level.children_peak_mb = max(level.children_peak_mb, children)
        if long and t >= next_sample:
            rss = server.rss_mb()
            level.samples.append((t - stats.window_start, rss, children))
            next_sample += sample_every
            print(
                f"    {t - stats.window_start:6.0f} s  server RSS {rss:6.0f} MB (peak {server.hwm_mb():.0f}),"
                f" children {children:.0f} MB;  {len(stats.switches)} switches, {level.errors} errors,"
                f" {stats.timeouts} timeouts",
                flush=True,
            )
        if server.proc.poll() is not None:
            level.error = f"the server exited ({server.proc.returncode}) during the run"
            break
    level.not_signed_in = people - stats.signed_in
    cpu1 = _cpu_now(server)
    cpu0 = cpu0 or cpu1
    level.server_cpu_s, level.client_cpu_s = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    level.end_mb = server.rss_mb()
    level.hwm_mb = server.hwm_mb()
    level.load_avg = os.getloadavg()
    if long and (not level.samples or time.monotonic() - stats.window_start - level.samples[-1][0] >= 1):
        level.samples.append((time.monotonic() - stats.window_start, level.end_mb, server.children_mb()))
    stats.stopping = True
    # People asleep stop at once; a switch in flight may finish (or time out) first, anyone still busy after that
    # (a sign-in stuck behind a saturated server) is cancelled: the level's figures are kept either way.
    _, busy = await asyncio.wait(tasks, timeout=timeout + 10)
    for task in busy:
        task.cancel()
    if busy:
        await asyncio.wait(busy, timeout=10)
        print(f"    {len(busy)} people still busy {timeout + 10:.0f} s after the window closed were cancelled")
    return level


def measure(
    cached_db: Path,
    workdir: Path,
    people: int,
    gc: str,
    args: argparse.Namespace,
    long: bool = False,
) -> Level:
    db = workdir / f"load_{people}_{gc}.db"
    shutil.copyfile(cached_db, db)
    log = LOGS / f"server_{'long_' if long else ''}{people}people_{gc}.log"
    server = Server(db, gc, log)
    print(f"  {people} people, GC {gc}: server pid {server.pid} on :{server.port} (log {log.relative_to(ROOT)})")
    try:
        server.wait_healthy()
        return asyncio.run(
            run_level(
                server,
                people,
                args.duration,
                args.ramp,
                (args.think_min, args.think_max),
                args.timeout,
                args.seed,
                args.sample_every,
                long,
            )
        )
    except Exception as exc:
        return Level(people, gc, args.duration, Stats(), error=f"{type(exc).__name__}: {exc}")
    finally:
        server.stop()
        for p in workdir.glob(db.name + "*"):
            p.unlink(missing_ok=True)


# --- the report ---------------------------------------------------------------------------------------------


def fig(value: Any, unit: str, target: str | None, met: bool) -> dict[str, Any]:
    return {"value": value, "unit": unit, "target": target, "met": met}


def level_figures(lv: Level) -> dict[str, dict[str, Any]]:
    """A level's figures. A level that ran but where the server fell behind still has them: its timeouts count in
    the percentiles (as the timeout), people never signed in count as errors, and its throughput may be 0."""
    key = f"load_{lv.people}people_{lv.gc}"
    ran = not lv.error
    p50, p95 = lv.pct(0.5), lv.pct(0.95)
    target = f"<= {P95_TARGET:g}" if lv.people <= TARGET_PEOPLE else None
    p95_met = ran and p95 is not None and (target is None or p95 <= P95_TARGET)
    errors = lv.errors + lv.stats.timeouts + lv.not_signed_in
    figures = {
        f"{key}_p95_s": fig(round(p95, 3) if ran and p95 is not None else None, "s", target, p95_met),
        f"{key}_p50_s": fig(round(p50, 3) if ran and p50 is not None else None, "s", None, ran and p50 is not None),
        f"{key}_runs_per_s": fig(round(lv.runs_per_s, 2) if ran else None, "runs/s", None, ran),
        f"{key}_errors": fig(errors if ran else None, "errors+timeouts+never signed in", "0", ran and not errors),
        f"{key}_peak_mb": fig(round(lv.peak_mb, 1) if ran else None, "MB", None, ran),
        f"{key}_server_peak_mb": fig(round(lv.hwm_mb, 1) if ran else None, "MB", None, ran),
        f"{key}_cpu_ms_per_run": fig(
            round(1000 * lv.server_cpu_s / len(lv.times), 1) if ran and lv.times else None, "ms", None, ran
        ),
    }
    if lv.stats.sign_ins:
        figures[f"{key}_signin_p95_s"] = fig(
            round(sorted(lv.stats.sign_ins)[int(0.95 * (len(lv.stats.sign_ins) - 1))], 3), "s", None, ran
        )
    return figures


def print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def report_levels(levels: list[Level]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    rows = []
    for lv in levels:
        figures.update(level_figures(lv))
        if lv.error:
            rows.append((str(lv.people), lv.gc, *["–"] * 11, f"ERROR: {lv.error[:90]}"))
            continue
        p50, p95 = lv.pct(0.5), lv.pct(0.95)
        met = "–" if lv.people > TARGET_PEOPLE else ("yes" if p95 is not None and p95 <= P95_TARGET else "NO")
        rows.append(
            (
                str(lv.people),
                lv.gc,
                "–" if p50 is None else f"{p50:.3f}",
                "–" if p95 is None else f"{p95:.3f}",
                f"{max(lv.times):.2f}" if lv.times else "–",
                f"{lv.runs_per_s:.1f}",
                f"{lv.errors}/{lv.stats.timeouts}/{lv.not_signed_in}",
                f"{lv.idle_mb:.0f}",
                f"{lv.hwm_mb:.0f}",
                f"{lv.children_peak_mb:.0f}",
                f"{lv.peak_mb:.0f}",
                f"{1000 * lv.server_cpu_s / len(lv.times):.0f}" if lv.times else "–",
                " ".join(f"{x:.1f}" for x in lv.load_avg),
                met,
            )
        )
    head = (
        "people",
        "GC",
        "p50 s",
        "p95 s",
        "max s",
        "runs/s",
        "err/timeout/not in",
        "idle MB",
        "server peak MB",
        "children MB",
        "peak MB",
        "server CPU ms/run",
        "load avg",
        f"p95 <= {P95_TARGET:g}",
    )
    print()
    print_table(head, rows)
    print(
        "idle MB: the server's RSS after one person's untimed visit to every page; server peak MB: its high-water mark"
        " (VmHWM) from then to the end of the window; children MB: its child processes' PSS at most (the Chromium the"
        " board-report page starts to draw charts); peak MB = the two added; CPU per run: the server's CPU in the"
        " window over the switches measured; err/timeout/not in: errors, timeouts, people not signed in by the end of"
        " the window; a switch that timed out counts in the percentiles as the timeout."
    )
    for lv in levels:
        where = f"  {lv.people} people, GC {lv.gc}:"
        if lv.warmup_peaks:
            top = sorted(lv.warmup_peaks.items(), key=lambda kv: -kv[1])[:3]
            print(f"{where} server RSS at start {lv.start_mb:.0f} MB; highest first (cold) runs: ", end="")
            print(", ".join(f"{k} {v:.0f} MB" for k, v in top), end="")
            print(
                f"; CPU in the window: load generator {lv.client_cpu_s:.0f} s, server {lv.server_cpu_s:.0f} s", end=""
            )
            ins = sorted(lv.stats.sign_ins)
            if ins:
                print(f"; {lv.stats.signed_in} signed in, median {statistics.median(ins):.2f} s, max {ins[-1]:.2f} s")
            else:
                print("; nobody signed in")
        if lv.stats.errors:
            print(f"{where} " + "; ".join(f"{n}x {e}" for e, n in lv.stats.errors.most_common(5)))
    return figures


def long_figures(lv: Level, minutes: float) -> dict[str, dict[str, Any]]:
    """Does the server's memory grow without bound? Its own RSS, first quarter against last (children apart)."""
    key = f"load_long_{lv.gc}"
    figures: dict[str, dict[str, Any]] = {
        f"{key}_duration_min": fig(round(minutes, 1), "min", None, True),
        f"{key}_people": fig(lv.people, "people", None, True),
    }
    if lv.error or len(lv.samples) < 4:
        figures[f"{key}_growth_pct"] = fig(None, "%", f"<= {LONG_GROWTH_TARGET_PCT:g}", False)
        return figures
    d = lv.duration
    first = [mb for t, mb, _ in lv.samples if t < d / 4] or [lv.samples[0][1]]
    last = [mb for t, mb, _ in lv.samples if t >= 3 * d / 4] or [lv.samples[-1][1]]
    f_mean, l_mean = statistics.mean(first), statistics.mean(last)
    growth = 100 * (l_mean / f_mean - 1)
    half = [(t, mb) for t, mb, _ in lv.samples if t >= d / 2]
    slope = 0.0
    if len(half) >= 2:
        slope = statistics.linear_regression([t for t, _ in half], [mb for _, mb in half]).slope * 3600
    top = max(lv.hwm_mb, *(mb for _, mb, _ in lv.samples))
    p95 = lv.pct(0.95)
    quarters: list[float | None] = []  # p95 of the switches sent in each quarter: the arrival apart from the rest
    for q in range(4):
        lo, hi = lv.stats.window_start + q * d / 4, lv.stats.window_start + (q + 1) * d / 4
        t = sorted(x for sent, x, _ in lv.stats.switches if lo <= sent < hi)
        quarters.append(t[min(len(t) - 1, max(0, math.ceil(0.95 * len(t)) - 1))] if t else None)
    errors = lv.errors + lv.stats.timeouts + lv.not_signed_in
    bounded = growth <= LONG_GROWTH_TARGET_PCT
    figures.update(
        {
            f"{key}_first_quarter_mb": fig(round(f_mean, 1), "MB", None, True),
            f"{key}_last_quarter_mb": fig(round(l_mean, 1), "MB", None, True),
            f"{key}_max_mb": fig(round(top, 1), "MB", None, True),
            f"{key}_growth_pct": fig(round(growth, 1), "%", f"<= {LONG_GROWTH_TARGET_PCT:g}", bounded),
            f"{key}_second_half_mb_per_hour": fig(round(slope, 1), "MB/h", None, True),
            f"{key}_children_peak_mb": fig(round(lv.children_peak_mb, 1), "MB", None, True),
            f"{key}_p95_s": fig(
                round(p95, 3) if p95 is not None else None,
                "s",
                f"<= {P95_TARGET:g}",
                p95 is not None and p95 <= P95_TARGET,
            ),
            f"{key}_p95_last_quarter_s": fig(
                None if quarters[-1] is None else round(quarters[-1], 3),
                "s",
                f"<= {P95_TARGET:g}",
                quarters[-1] is not None and quarters[-1] <= P95_TARGET,
            ),
            f"{key}_errors": fig(errors, "errors+timeouts+never signed in", "0", not errors),
        }
    )
    print(f"\nlong run: {lv.people} people for {minutes:g} min, GC {lv.gc}; the server's RSS (s since the ramp: MB):")
    print("  " + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb, _ in lv.samples))
    print(
        f"  first quarter mean {f_mean:.0f} MB, last quarter mean {l_mean:.0f} MB ({growth:+.1f}%), max {top:.0f} MB,"
        f" second half {slope:+.0f} MB/h; children (Chromium) at most {lv.children_peak_mb:.0f} MB;"
        f" {'bounded' if bounded else 'GROWING'} (target: the last quarter at most {LONG_GROWTH_TARGET_PCT:g}% above"
        " the first)"
    )
    shown = ", ".join("–" if x is None else f"{x:.3f}" for x in quarters)
    print(f"  page switch p95 per quarter (s; timeouts left out): {shown}")
    return figures


def main(argv: list[str] | None = None) -> int:
    global HOST
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--people", default="25,50,100,200", help="comma-separated levels (default 25,50,100,200)")
    p.add_argument(
        "--gc",
        choices=("both", *GC_MODES),
        help="Streamlit's postScriptGC: default (true), off (false) or both back to back (default both; --long: off)",
    )
    p.add_argument("--duration", type=float, help="seconds measured per level after the ramp (default 60; --long 3600)")
    p.add_argument("--ramp", type=float, default=10.0, help="seconds over which people arrive (default 10)")
    p.add_argument("--think-min", type=float, default=5.0, help="shortest wait between page switches, s (default 5)")
    p.add_argument("--think-max", type=float, default=15.0, help="longest wait between page switches, s (default 15)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a run may take before it is a timeout")
    p.add_argument(
        "--long",
        action="store_true",
        help="one level (the first of --people, default 50) for --duration s (default 3600), sampling the server's"
        " RSS: does memory grow without bound?",
    )
    p.add_argument("--sample-every", type=float, default=30.0, help="--long: seconds between RSS samples (default 30)")
    p.add_argument("--scale", type=float, default=1.0, help="size of the large institution (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the large institution and the people")
    p.add_argument(
        "--host",
        default=HOST,
        help=f"address the people connect to (default {HOST}: no client address for the app; see the source)",
    )
    p.add_argument("--no-results", action="store_true", help="print only; leave bench/results.json alone")
    args = p.parse_args(argv)

    HOST = args.host
    levels_wanted = [int(x) for x in str(args.people).split(",") if x.strip()]
    if args.long:
        levels_wanted = levels_wanted[:1] if args.people != "25,50,100,200" else [50]
    gc_modes = list(GC_MODES) if (args.gc or ("off" if args.long else "both")) == "both" else [args.gc or "off"]
    if args.duration is None:
        args.duration = 3600.0 if args.long else 60.0
    cached = cached_sqlite(args.scale, args.seed, rebuild=False)
    load0 = os.getloadavg()
    print(
        f"large institution x{args.scale:g}: {cached.relative_to(ROOT)}; people {levels_wanted}, GC {gc_modes},"
        f" {args.duration:g} s after a {args.ramp:g} s ramp, a switch every {args.think_min:g}-{args.think_max:g} s;"
        f" load average {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f} on {os.cpu_count()} CPUs"
    )
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-load-") as tmp:
        prepared = prepared_database(cached, Path(tmp), max(levels_wanted))
        if args.long:
            lv = measure(prepared, Path(tmp), levels_wanted[0], gc_modes[0], args, long=True)
            report_levels([lv])  # printed only: its figures are the long run's, not the level's (load_long_...)
            figures.update(long_figures(lv, args.duration / 60))
            if lv.error:
                print(f"long run: ERROR {lv.error}")
        else:
            levels: list[Level] = []
            for i, n in enumerate(levels_wanted):
                order = gc_modes if i % 2 == 0 else gc_modes[::-1]  # alternate who goes first: drift hits both
                for gc in order:
                    lv = measure(prepared, Path(tmp), n, gc, args)
                    shown = f"ERROR {lv.error}" if lv.error else f"p95 {lv.pct(0.95) or 0:.3f} s"
                    print(f"    {len(lv.times)} switches, {shown}", flush=True)
                    levels.append(lv)
            levels.sort(key=lambda lv: (lv.people, GC_MODES.index(lv.gc)))
            figures.update(report_levels(levels))
    load1 = os.getloadavg()
    print(
        f"\nload average: {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f} at the start, {load1[0]:.1f} {load1[1]:.1f}"
        f" {load1[2]:.1f} at the end, on {os.cpu_count()} CPUs (the load generator runs on the same machine; a busy"
        " machine inflates every figure)"
    )
    if args.no_results:
        return 0
    previous = load_results()
    RESULTS.write_text(json.dumps({**previous, **figures}, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)} ({len(figures)} figure(s) updated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
