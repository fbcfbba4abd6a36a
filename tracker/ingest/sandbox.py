"""Parse an untrusted spreadsheet in a child process that cannot hurt the server.

python-calamine is native code: a file it misjudges can make it ask for hundreds of gigabytes, and Rust then
aborts the whole process (SIGABRT: no Python exception, every signed-in user of the app disconnected). So the
parse itself (calamine, and the CSV reader) runs in a fresh interpreter (`python -m tracker.ingest.sandbox`, not
a fork of a threaded server) with an address-space limit and a time limit; its rows come back pickled over a
pipe, read with an unpickler that builds nothing but plain values and dates. Whatever goes wrong in the child (a
crash, an abort, MemoryError, a timeout, any exception) is `UnreadableFile(name, "unsafe", "could not be read
safely: …")`, never the parent's death. The checks (size, zip bomb, shared strings, how far the sheets reach)
stay in the parent, in `tracker.ingest.reader`, which decides when the child gets the file (its
PARSE_WHILE_CHECKING: during the scan of the sheets, or after it).

Limits: `TRACKER_SANDBOX_MEMORY_MB` (default 1024) and `TRACKER_SANDBOX_SECONDS` (default 120), read at each
parse, or the keyword arguments of `Child`.

The child imports only the standard library, python-calamine (python-calamine-plus for a streamed workbook),
`tracker.ingest.base`, `tracker.ingest.word` and
`tracker.exports` (no pydantic, no database): its start costs tens of milliseconds, and it is started before the
parent's checks run, so that time overlaps them.

Example:
    >>> with Child() as child:
    ...     sheets, issues = child.parse("csv", b"Ref,Status\\nD1,On track\\n", "u.csv", max_rows=10)
    >>> sheets[0][1], issues
    ([['Ref', 'Status'], ['D1', 'On track']], [])
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import gc
import io
import os
import pickle
import queue
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from tracker.exports import safe_cell
from tracker.ingest.base import Issue, UnreadableFile

Cell = str | int | float | bool | dt.date | dt.datetime | None
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column: 0-based, inclusive
RawSheet = tuple[str, list[list[Cell]], list[Merge] | None]  # name, rows, merged ranges (None: not known)
Kind = Literal["workbook", "csv", "docx", "stream"]
# A streamed workbook (`Child.stream`) sends every sheet's first HEAD_ROWS rows before the rest of any sheet:
# enough for any loader to find its header (they look at the first 30) and a title above it.
HEAD_ROWS = 50
BATCH_ROWS = 5_000  # rows per frame of a streamed sheet
MAX_CELL_CHARS = 32_767  # what an Excel cell holds
# Frames a streamed parse may run ahead of its reader (100,000 rows: the bench's extract is parsed while the
# command line imports and checks; a longer one waits for its rows to be summed).
QUEUED_FRAMES = 20

MEMORY_MB = 1024  # the child's address space; TRACKER_SANDBOX_MEMORY_MB overrides
SECONDS = 120.0  # the child's wall time for one file; TRACKER_SANDBOX_SECONDS overrides
_ROOT = Path(__file__).resolve().parents[2]
OUT_OF_MEMORY = 75  # the child's exit status for a MemoryError  # the folder holding the `tracker` package


def memory_limit() -> int:
    """The child's address-space limit in bytes: `TRACKER_SANDBOX_MEMORY_MB`, else 1024 MB.

    Example:
        >>> memory_limit() >= 64 * 1024 * 1024
        True
    """
    return int(float(os.environ.get("TRACKER_SANDBOX_MEMORY_MB") or MEMORY_MB) * 1024 * 1024)


def time_limit() -> float:
    """The child's wall-time limit in seconds: `TRACKER_SANDBOX_SECONDS`, else 120.

    Example:
        >>> time_limit() > 0
        True
    """
    return float(os.environ.get("TRACKER_SANDBOX_SECONDS") or SECONDS)


# --- the parent's side ------------------------------------------------------------------------------------


class Child:
    """One parse in a fresh, limited interpreter. Started on entering the `with`, so the interpreter's start
    overlaps whatever the caller checks meanwhile; killed on leaving it if still running (a pre-check refused
    the file, or the parent gave up).

    Example:
        >>> with Child(seconds=30) as child:
        ...     child.parse("csv", b"a;b\\n1;2\\n", "x.csv", max_rows=5)[0][0][1]
        [['a', 'b'], ['1', '2']]
    """

    def __init__(self, *, memory_bytes: int | None = None, seconds: float | None = None) -> None:
        self.memory_bytes = memory_bytes if memory_bytes is not None else memory_limit()
        self.seconds = seconds if seconds is not None else time_limit()
        self._proc: subprocess.Popen[bytes] | None = None
        self._name = ""
        self._sent_at: float | None = None
        self._watchdog: threading.Timer | None = None
        self._queue: queue.Queue[tuple[Any, ...] | BaseException] | None = None  # a streamed workbook's frames
        self._closed = False
        self._expired = False
        self._stderr = b""

    @property
    def sent(self) -> bool:
        """Whether a file has been handed to the child."""
        return self._sent_at is not None

    def __enter__(self) -> Child:
        env = dict(os.environ, RUST_BACKTRACE="0")  # a panic's one line, not a page of frames, in stderr
        # -E -s: the child's imports come from the project and the interpreter's own packages, not from the
        # environment; `-m` from _ROOT puts the project first on its path, wherever the parent was started.
        self._proc = subprocess.Popen(
            [sys.executable, "-E", "-s", "-m", "tracker.ingest.sandbox", str(self.memory_bytes), str(self.seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=_ROOT,
            env=env,
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._closed = True  # the pump stops waiting for room in the queue
        proc = self._proc
        if proc is not None and self._queue is not None:  # streamed: its pipes have readers of their own
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        elif proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        self._proc = None

    def parse(self, kind: Kind, data: bytes, name: str, *, max_rows: int) -> tuple[list[RawSheet], list[Issue]]:
        """The sheets (name as in the file, rows, merged ranges or None where the format gives none) and the
        reader's issues, or UnreadableFile. `kind` "workbook" reads with calamine, "csv" with the csv module, "docx" a
        Word document's tables (`tracker.ingest.word`)."""
        self.send(kind, data, name, max_rows=max_rows)
        return self.receive()

    def send(self, kind: Kind, data: bytes, name: str, *, max_rows: int) -> None:
        """Hand the file to the child, which starts parsing at once; `receive` collects the outcome."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise RuntimeError("Child.send outside its `with` block")
        self._name, self._sent_at = name, time.monotonic()
        job = pickle.dumps((kind, data, name, max_rows), protocol=pickle.HIGHEST_PROTOCOL)
        # Length first: the child reads exactly that much, so stdin can stay open until `receive`.
        try:
            proc.stdin.write(len(job).to_bytes(8, "little") + job)
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # the child died before reading: `receive` says why
        if kind == "stream":
            self._start_pump()

    def _start_pump(self) -> None:
        """For a streamed workbook: the wall-time limit (as `receive` keeps it), stderr drained aside (so a chatty
        child never blocks), and a thread taking the child's frames off the pipe into a queue of at most
        QUEUED_FRAMES, so the child parses ahead while this process does other work (its checks, its imports),
        and memory stays bounded however long the sheet."""
        self._watchdog = threading.Timer(self.seconds, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._queue = queue.Queue(maxsize=QUEUED_FRAMES)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        while True:
            item: tuple[Any, ...] | BaseException
            try:
                # A new unpickler per frame: each frame is a pickle of its own, with its own memo.
                item = _Unpickler(proc.stdout).load()
            except BaseException as exc:  # handed to the reader of the queue, in its thread
                item = exc
            if not self._put(item):
                return  # closed: nobody reads on
            last = not isinstance(item, tuple) or item[:1] not in (("heads",), ("sheet",), ("rows",))
            if last:  # the end, a refusal or failure, a death, or garbage: nothing follows
                return

    def _put(self, item: tuple[Any, ...] | BaseException) -> bool:
        """Queue `item`, waiting for room; False once the child is closed."""
        assert self._queue is not None
        while not self._closed:
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def stream(self, data: bytes, name: str, *, max_rows: int) -> tuple[list[tuple[str, list[list[Cell]]]], SheetRows]:
        """An .xlsx read a row at a time (python-calamine-plus in the child): its sheets' names and first
        HEAD_ROWS rows now, and `SheetRows` for the rest of each, read from the child as they are asked for, so
        neither process holds the whole sheet. UnreadableFile as `receive` says it, now or while the rows come.
        The child lives until the rows are read to the end or the `with` block ends."""
        if not self.sent:
            self.send("stream", data, name, max_rows=max_rows)
        first = self._next_frame()
        if first[0] != "heads":
            raise _unsafe(name, "its reader answered garbage (no sheets)")
        return first[1], SheetRows(self, [n for n, _ in first[1]])

    def _expire(self) -> None:
        self._expired = True
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()

    def _drain_stderr(self) -> None:
        """Keep the last 64 KB the child writes to stderr (what `_why` reads after a death), reading all of it."""
        proc = self._proc
        if proc is not None and proc.stderr is not None:
            while block := os.read(proc.stderr.fileno(), 65_536):
                self._stderr = (self._stderr + block)[-65_536:]

    def _next_frame(self) -> tuple[Any, ...]:
        """The next frame the streaming child wrote; UnreadableFile for its refusal, its failure or its death."""
        name, proc = self._name, self._proc
        assert proc is not None and self._queue is not None
        frame = self._queue.get()
        if isinstance(frame, BaseException):
            # The pipe ended, or a frame was cut short: a child that died (killed at its time limit, out of
            # memory, crashed) says why; one still running sent what no reader of ours writes.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
            if self._expired:
                raise _unsafe(name, f"it took longer than {self.seconds:g} seconds")
            if proc.returncode is None:  # a child that is not our code any more must not get further
                raise _unsafe(name, f"its reader answered garbage ({type(frame).__name__})")
            time.sleep(0.05)  # the stderr reader's last bytes
            why = _why(proc.returncode, self._stderr, self.memory_bytes) if proc.returncode else "it stopped early"
            raise _unsafe(name, why)
        if not isinstance(frame, tuple) or not frame:
            raise _unsafe(name, "its reader answered garbage")
        if frame[0] == "refused":
            raise UnreadableFile(name, frame[1], frame[2])
        if frame[0] == "failed":
            raise _unsafe(name, frame[1])
        if frame[0] == "end" and self._watchdog is not None:
            self._watchdog.cancel()
        return frame

    def receive(self) -> tuple[list[RawSheet], list[Issue]]:
        """The outcome of the file handed over by `send` (waiting for it, up to the time limit)."""
        proc, name = self._proc, self._name
        if proc is None or self._sent_at is None:
            raise RuntimeError("Child.receive before Child.send")
        left = max(self.seconds - (time.monotonic() - self._sent_at), 0.001)
        try:
            out, err = proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise _unsafe(name, f"it took longer than {self.seconds:g} seconds") from None
        except BrokenPipeError:  # the child died before reading its stdin to the end
            out, err = b"", proc.stderr.read() if proc.stderr else b""
            proc.wait()
        if proc.returncode != 0:
            raise _unsafe(name, _why(proc.returncode, err, self.memory_bytes))
        try:
            result = _Unpickler(io.BytesIO(out)).load()
        except Exception as exc:  # a child that is not our code any more must not get further
            raise _unsafe(name, f"its reader answered garbage ({type(exc).__name__})") from None
        if result[0] == "refused":
            raise UnreadableFile(name, result[1], result[2])
        if result[0] == "failed":
            raise _unsafe(name, result[1])
        _, sheets, issues = result
        return sheets, [Issue(*i) for i in issues]


class SheetRows:
    """The rows after the first HEAD_ROWS of each sheet of a streamed workbook, read from the child in its order:
    `rows(k)` yields sheet k's (a later sheet's rows skip what is left of the earlier ones; an earlier one than
    the last asked for cannot be read again). `Child.stream` makes one."""

    def __init__(self, child: Child, names: list[str]) -> None:
        self._child = child
        self._names = names
        self._at = -1  # the sheet whose rows the next frames hold
        self._pending: tuple[Any, ...] | None = None

    def _frame(self) -> tuple[Any, ...]:
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        return self._child._next_frame()

    def rows(self, k: int) -> Iterator[tuple[list[Cell], bool]]:
        """Sheet k's rows after its head, in order (one frame of BATCH_ROWS at a time), each with whether it
        holds text that is not plainly printable or is longer than a cell holds (the reader's checks of single
        cells need run on those rows only: the child tells each distinct text once)."""
        if k < self._at or not 0 <= k < len(self._names):
            raise ValueError(f"sheet {k} cannot be read again (the stream is at sheet {self._at})")
        while True:
            frame = self._frame()
            if frame[0] == "end":
                self._pending = frame
                return
            if frame[0] == "sheet":
                self._at = int(frame[1])
                if self._at > k:
                    self._pending = frame
                    return
                continue
            if frame[0] == "rows" and self._at == k:
                odd = set(frame[2])
                for i, row in enumerate(frame[1]):
                    yield row, i in odd


def _unsafe(name: str, why: str) -> UnreadableFile:
    return UnreadableFile(name, "unsafe", f"could not be read safely: {why}")


def _why(returncode: int, stderr: bytes, memory_bytes: int) -> str:
    """A short reason for a child that died: the signal, and whether it ran out of memory."""
    text = stderr.decode("utf-8", "replace")
    mb = f"{memory_bytes / 1024 / 1024:,.0f} MB"
    if returncode == OUT_OF_MEMORY or any(s in text for s in ("memory allocation", "MemoryError", "Cannot allocate")):
        what = f"it needs more than the {mb} of memory a file may use"
    else:
        line = next((s.strip() for s in reversed(text.splitlines()) if s.strip()), "")
        what = f"the reader failed ({line[:120]})" if line else "the reader failed"
    if returncode < 0:
        try:
            what += f" ({signal.Signals(-returncode).name})"
        except ValueError:
            what += f" (signal {-returncode})"
    return what


class _Unpickler(pickle.Unpickler):
    """Builds plain values (lists, tuples, str, numbers, None) and dates only: the child parses hostile files,
    so what it sends back is data, never a class to instantiate or a function to call."""

    _ALLOWED: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        ("datetime", n) for n in ("date", "datetime", "time", "timedelta")
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")


# --- the child's side -------------------------------------------------------------------------------------


def _main(argv: list[str]) -> int:
    memory_bytes, seconds = int(argv[0]), float(argv[1])
    # One file, then exit: the cells make no reference cycles, and a collector walking a million of them again
    # and again as they are built costs a third of the parse.
    gc.disable()
    # Limits first, before a byte of the file is read. RLIMIT_AS makes a huge allocation fail at once
    # (Rust then aborts: the parent sees SIGABRT); RLIMIT_CPU is a backstop to the parent's wall-time limit.
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # Only the result goes to the real stdout: anything else printing (a library's warning) goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        size = int.from_bytes(sys.stdin.buffer.read(8), "little")
        kind, data, name, max_rows = pickle.loads(sys.stdin.buffer.read(size))
        if kind == "stream":
            _stream_xlsx(data, name, max_rows, out)  # writes its own frames, the last one "end"
            out.flush()
            return 0
        if kind == "csv":
            sheet, issues = _read_csv(data, name, max_rows)
            result: tuple[Any, ...] = ("ok", [sheet], issues)
        elif kind == "docx":
            from tracker.ingest.word import read_tables  # stdlib only, as the rest of the child

            result = ("ok", read_tables(data, name, max_rows), [])
        else:
            result = ("ok", _read_calamine(data, name, max_rows), [])
    except UnreadableFile as exc:
        result = ("refused", exc.code, exc.message)
    except MemoryError:
        # Out at once, allocating nothing more: handling it (a message, a traceback) could need memory too.
        os._exit(OUT_OF_MEMORY)
    except Exception as exc:  # a bug of ours on a strange file: still a refusal, with what went wrong
        result = ("failed", f"the reader failed ({type(exc).__name__}: {str(exc)[:100]})")
    pickle.dump(
        (result[0], result[1], [dataclasses.astuple(i) for i in result[2]]) if result[0] == "ok" else result,
        out,
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    out.flush()
    return 0


def _stream_xlsx(data: bytes, name: str, max_rows: int, out: Any) -> None:
    """An .xlsx a row at a time, as frames on `out`: ("heads", [(sheet name, first HEAD_ROWS rows)]), then for
    each sheet ("sheet", k) and ("rows", [BATCH_ROWS rows]) frames, then ("end",); a refusal or a failure is the
    last frame instead. python-calamine-plus decodes the rows straight from the archive: memory stays flat
    however long the sheet (1,000,000 rows: 14 MB, where python-calamine builds the whole sheet, 1.2 GB)."""
    import python_calamine_plus as pcp  # here, not at the top: the parent never needs it

    def frame(value: tuple[Any, ...]) -> None:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)

    odd = [0]
    clean = _cleaner(odd)
    try:
        wb = pcp.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [m.name for m in wb.sheets_metadata if "WorkSheet" in str(m.typ)]
        heads = [(n, [list(map(clean, r)) for r in wb.stream_sheet_by_name(n, max_row=HEAD_ROWS - 1)]) for n in names]
        frame(("heads", heads))
        for k, n in enumerate(names):
            frame(("sheet", k))
            batch: list[list[Cell]] = []
            flagged: list[int] = []  # the rows of the batch with odd text, for the parent's checks
            count = HEAD_ROWS
            for r in wb.stream_sheet_by_name(n, min_row=HEAD_ROWS):
                count += 1
                if count > max_rows:
                    raise UnreadableFile(
                        name, "too_many_rows", f"sheet '{shown_name(n)}' has over {max_rows:,} rows, the limit"
                    )
                before = odd[0]
                batch.append(list(map(clean, r)))
                if odd[0] != before:
                    flagged.append(len(batch) - 1)
                if len(batch) == BATCH_ROWS:
                    frame(("rows", batch, flagged))
                    batch, flagged = [], []
            if batch:
                frame(("rows", batch, flagged))
        frame(("end",))
    except UnreadableFile as exc:
        frame(("refused", exc.code, exc.message))
    except MemoryError:
        raise
    except BaseException as exc:
        refusal = _calamine_refusal(exc, name)
        frame(("refused", refusal.code, refusal.message))


def _read_calamine(data: bytes, name: str, max_rows: int) -> list[RawSheet]:
    """Every worksheet (its name as in the file), with calamine's merged ranges: None for the formats it gives
    none for (.ods, .xlsb), whose ranges the parent's checks read from the file."""
    import python_calamine as pc  # here, not at the top: the parent never needs it

    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: list[RawSheet] = []
        clean = _cleaner()
        for meta in wb.sheets_metadata:
            if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet") and "WorkSheet" not in str(meta.typ):
                continue
            sh = wb.get_sheet_by_name(meta.name)
            n_rows = sh.end[0] + 1 if sh.end else 0  # calamine's end is the last used row, 0-based
            if n_rows > max_rows:
                raise UnreadableFile(
                    name,
                    "too_many_rows",
                    f"sheet '{shown_name(meta.name)}' has {n_rows:,} rows, over the {max_rows:,}-row limit",
                )
            # iter_rows keeps leading empty rows but drops leading empty columns: put them back.
            pad: list[Cell] = [None] * (sh.start[1] if sh.start else 0)
            rows = [pad + list(map(clean, r)) for r in sh.iter_rows()]
            # calamine's ranges are ((first row, first column), (last row, last column)) in the sheet's own
            # coordinates (A1 is (0, 0)), the same as `rows` once padded.
            found = sh.merged_cell_ranges
            ranges = [(a[0], a[1], b[0], b[1]) for a, b in found] if found is not None else None
            sheets.append((meta.name, rows, ranges))
        return sheets
    except UnreadableFile:
        raise
    except pc.PasswordError:
        raise UnreadableFile(
            name, "encrypted", "is password-protected: save a copy without a password and try again"
        ) from None
    except MemoryError:
        raise
    except BaseException as exc:
        raise _calamine_refusal(exc, name) from None


def _calamine_refusal(exc: BaseException, name: str) -> UnreadableFile:
    """What an error of calamine's means: the file cannot be read. Its errors are many and untyped; a panic
    inside it (a malformed record it indexes past) reaches Python as pyo3's PanicException, which is not an
    Exception. Anything else that is not an Exception (KeyboardInterrupt, SystemExit) is raised on.

    Example:
        >>> _calamine_refusal(ValueError("Invalid zip header\\nmore"), "x.xlsx").message
        'cannot be read as a spreadsheet (Invalid zip header)'
    """
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc
    detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return UnreadableFile(name, "corrupt", f"cannot be read as a spreadsheet ({detail})")


def plain_text(s: str) -> bool:
    """Printable text a cell can hold: what the reader's checks of single cells (`reader.check_row`) pass over.

    Example:
        >>> plain_text("Laws"), plain_text("bell\\x07"), plain_text("x" * 40_000)
        (True, False, False)
    """
    return s.isprintable() and len(s) <= MAX_CELL_CHARS


_SHARED_TEXTS = 200_000  # distinct texts remembered per file: a faculty's name, not every staff number


def _cleaner(odd: list[int] | None = None) -> Callable[[object], Cell]:
    """`_clean` for one file's cells, each distinct text cleaned once and then shared: equal texts become one
    object (a faculty's name in 100,000 rows), which pickle sends once and refers back to, so the rows cross
    the pipe smaller and the parent builds far fewer objects.

    `odd[0]` (when given) counts the texts met that are not plainly printable or are longer than a cell holds.

    Example:
        >>> clean = _cleaner()
        >>> a, b = clean(" Laws "), clean("".join([" La", "ws "]))
        >>> a, a is b, clean(""), clean(2.0), clean(0.5)
        ('Laws', True, None, 2, 0.5)
    """
    texts: dict[str, Cell] = {"": None}

    def clean(c: object) -> Cell:
        if c.__class__ is not str:
            return _clean(c)
        try:
            return texts[c]  # type: ignore[index]
        except KeyError:
            v = _clean(c)
            if v.__class__ is str and not plain_text(v):  # type: ignore[arg-type]
                if odd is not None:  # counted each time it is met: never shared
                    odd[0] += 1
                return v
            if len(texts) < _SHARED_TEXTS:
                texts[c] = v  # type: ignore[index]
            return v

    return clean


def shown_name(name: str, limit: int = 100) -> str:
    """A sheet's name as every message shows it: control characters (a line break, ESC) become a space, so a
    name cannot break the one-line-per-problem output or drive a terminal, and a name longer than any
    spreadsheet allows is cut.

    Example:
        >>> shown_name("Prog\\nress\\x1b[2J"), shown_name("P" * 120)[-3:], len(shown_name("P" * 120))
        ('Prog ress [2J', 'PP…', 101)
    """
    name = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", name)
    return name if len(name) <= limit else name[:limit] + "…"


def column_letters(j: int) -> str:
    """Excel column letters for a 0-based index.

    Example:
        >>> column_letters(0), column_letters(27), column_letters(16383)
        ('A', 'AB', 'XFD')
    """
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def unguard(s: str) -> str:
    """Text without the one apostrophe that guards a formula-like cell (=, +, -, @, tab or CR next).

    The product's exports (`tracker.exports.safe_cell`) write "'=1+1" so a spreadsheet shows text, not a
    formula, and "''=1+1" for text that itself began "'=": reading either back gives exactly the text that
    was exported. A person typing '=1+1 in Excel means the same (text, not a formula). Any other apostrophe
    is kept.

    Example:
        >>> unguard("'=1+1"), unguard("'-3"), unguard("''=x"), unguard("'quoted'"), unguard("''x"), unguard("=x")
        ('=1+1', '-3', "'=x", "'quoted'", "''x", '=x')
    """
    if s[:1] == "'" and safe_cell(s[1:]) == s:  # exactly what safe_cell would have written
        return s[1:]
    return s


def _clean(c: object) -> Cell:
    if c == "" or c is None:
        return None
    if isinstance(c, dt.time):
        return c.isoformat()
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return int(c)
    if isinstance(c, str):
        s = unguard(c.strip())
        return s or None
    return c  # type: ignore[return-value]


def _read_csv(data: bytes, name: str, max_rows: int) -> tuple[RawSheet, list[Issue]]:
    """The one sheet of a CSV file, and an error for a quoted cell that is never closed."""
    # Excel's "Unicode Text" is UTF-16 with a BOM; anything else with NUL bytes is binary.
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    if encodings != ("utf-16",):
        # DOS programs (and some exports still) end a text file with Ctrl-Z (0x1A): an end mark, not data.
        data = data.rstrip(b"\x1a")
    if encodings != ("utf-16",) and b"\x00" in data[:4096]:
        raise UnreadableFile(name, "not_spreadsheet", "is not a spreadsheet or CSV file (it contains binary data)")
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 fails only on its 5 unassigned bytes; broken UTF-16 too
        raise UnreadableFile(name, "encoding", "is not text in UTF-8, UTF-16 or Windows-1252")
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text[:4096]):
        raise UnreadableFile(
            name, "not_spreadsheet", "is not a spreadsheet or CSV file (it contains control characters)"
        )
    sample = text[:8192]
    # Only the separator (and spaces after it) are guessed: the quote is always '"', doubled inside, as Excel
    # writes it. Left to guess the quote too, the sniffer takes the apostrophes of formula-safe cells ('=1+1,
    # the product's own exports) or of ordinary text for quotes, and splits cells in the wrong places.
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter, skip = sniffed.delimiter, bool(sniffed.skipinitialspace)
    except csv.Error:
        delimiter, skip = ",", False
    # The csv module refuses a cell over 131,072 characters with an exception; let any cell the file can hold be
    # read, so an over-long one is reported like any other (too_long, naming the cell). The limit only grows.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    rows: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter, skipinitialspace=skip)
    try:
        for i, raw in enumerate(reader):
            if i >= max_rows:
                raise UnreadableFile(name, "too_many_rows", f"has more rows than the {max_rows:,}-row limit")
            rows.append([_csv_cell(c) for c in raw])
    except csv.Error as exc:
        raise UnreadableFile(name, "corrupt", f"cannot be read as CSV (line {reader.line_num}: {exc})") from None
    sheet: RawSheet = (shown_name(Path(name).stem) or "csv", rows, [])
    return sheet, _unclosed_quote(text, sheet, delimiter, skip)


def _unclosed_quote(text: str, sheet: RawSheet, delimiter: str, skip: bool) -> list[Issue]:
    """An error for a quote opened and never closed: the csv module (as Excel) then reads the rest of the file,
    rows and all, into that one cell, and would load it silently as a long note."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=skip, strict=True):
            pass
        return []
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return []  # something the lenient reader reads as Excel does (a stray quote inside a cell)
    sheet_name, rows, _ = sheet
    if not rows or not rows[-1]:
        return []
    last = rows[-1]
    j = len(last) - 1
    swallowed = str(last[j] or "").count("\n")
    return [
        Issue(
            sheet_name,
            len(rows),
            column_letters(j),
            str(last[j] or "")[:200],
            "unclosed_quote",
            f'a quote (") opens this cell and is never closed, so the rest of the file ({swallowed:,} more '
            f"line{'s' * (swallowed != 1)}) was read into it: close the quote or remove it",
        )
    ]


def _csv_cell(c: str) -> Cell:
    s = unguard(c.strip())
    if not s:
        return None
    return s


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
