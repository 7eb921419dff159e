"""The benchmark suite: one command, one table, every figure next to a same-run floor.

    python bench/run.py                      # full run: 47, 1,000, 10,000, 100,000 items
    python bench/run.py --quick              # 47 and 1,000 items, 2 runs (under a minute)
    python bench/run.py --sizes 47,10000 --runs 3

Shared, noisy machines make absolute times alone mean little, so every figure is
measured next to a baseline taken in the same run, interleaved with it, and the
table gives both and their ratio. Each figure is measured ``--runs`` times; the table
gives the median over the runs and their spread (min–max over the runs). See
``bench/README.md`` for what each figure and each baseline is.

The table is printed and written to ``bench/results.md`` (``--out``) with a
description of the machine. Generated plans and databases are cached outside the
repository (``~/.cache/tracker-bench``, or ``TRACKER_BENCH_CACHE``); working copies
live in a temporary folder next to them and are removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
from firstpaint import first_paint  # noqa: E402

if TYPE_CHECKING:
    from tracker.store import Store

MB = 1024  # ru_maxrss is in KiB on Linux

PARTS = frozenset({"paint", "keys", "saves", "search", "export", "import", "typing", "tests"})
"""The parts of the suite ``--only`` can pick (figures 1 and 7, 2 and 7, 3, 4, 5, 6, 8, 9)."""

GOAL_SIZES = (100_000, "10000x5")
"""Where issue 15 sets the database goals: 100,000 items, and 10,000 items × 5 units'
reports "with the same goals"."""

PREVIOUS = BENCH / "results.json"
"""The previous full run's figures, for the table's "previous run" column (rewritten by
every full run that writes ``bench/results.md``)."""

SEARCH_QUERIES = (
    ("1 char", "公"),
    ("2 chars", "公开"),
    ("4 chars", "信息公开"),
    ("1 char, rarer", "舆"),
    ("2 chars, rarer", "舆情"),
    ("4 chars, rarer", "舆情监测"),
    ("pinyin", "fgj"),
)
"""Common words first (what a clerk types on the way to 信息公开: every keystroke searches),
then a rarer word, then pinyin initials of a unit (区发改局)."""


# --- statistics -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linearly interpolated."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@dataclass
class Row:
    """One line of the table: a figure at a size, its runs and its baseline's runs."""

    figure: str
    size: str
    unit: str
    values: list[float]
    """One value per run (already the run's median, p99, peak...)."""
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = ""
    goal: str = ""
    """The goal as shown, e.g. ``≤ 1.3×`` or ``≤ 10 ms``."""
    check: Limit | AllOf | None = None
    note: str = ""
    previous: str = ""
    """The previous full run's median (and ratio), from ``bench/results.json``."""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def base(self) -> float:
        return statistics.median(self.baseline) if self.baseline else float("nan")

    @property
    def ratio(self) -> float:
        return self.median / self.base if self.baseline and self.base > 0 else float("nan")

    @property
    def met(self) -> str:
        if self.check is None:
            return ""
        if self.median != self.median:  # nan: not measured
            return "n/a"
        if self.check(self):
            return "yes"
        return f"**no** ({self.check.over(self):+.0%})"

    @property
    def key(self) -> str:
        return f"{self.figure} @ {self.size}"

    def shown(self) -> str:
        """The median, with the ratio when there is a baseline (the "previous run" form)."""
        ratio = f"{self.ratio:.2f}× · " if self.baseline and self.ratio == self.ratio else ""
        return ratio + fmt(self.median, self.unit)


def size_label(size: int | str) -> str:
    """A data set as the table names it: ``10,000``, or ``10,000 × 5 units`` (``10000x5``)."""
    items, units = generate.parse_size(size)
    return f"{items:,} × {units} units" if units else f"{items:,}"


@dataclass(frozen=True)
class Limit:
    """A goal's bound: the row's ratio (``on="ratio"``) or median at most ``limit``."""

    limit: float
    on: str = "median"

    def __call__(self, row: Row) -> bool:
        return self.over(row) <= 0

    def over(self, row: Row) -> float:
        """How far the row is beyond the bound, as a fraction (0.25: 25 % over; ≤ 0: met)."""
        value = row.ratio if self.on == "ratio" else row.median
        return value / self.limit - 1


@dataclass(frozen=True)
class AllOf:
    """Several bounds that must all hold (``≤ 5 ms, ≤ 2×``)."""

    limits: tuple[Limit, ...]

    def __call__(self, row: Row) -> bool:
        return self.over(row) <= 0

    def over(self, row: Row) -> float:
        return max(limit.over(row) for limit in self.limits)


def ratio_at_most(limit: float) -> Limit:
    return Limit(limit, "ratio")


def value_at_most(limit: float) -> Limit:
    return Limit(limit)


def fmt(value: float, unit: str) -> str:
    if value != value:
        return "—"
    if unit == "ms":
        return (
            f"{value:.2f} ms"
            if value < 10
            else f"{value:.1f} ms"
            if value < 100
            else f"{value:,.0f} ms"
        )
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}"


def spread(row: Row) -> str:
    if not row.values:
        return "—"
    low, high = min(row.values), max(row.values)
    return f"{fmt(low, row.unit)} – {fmt(high, row.unit)}"


# --- the machine --------------------------------------------------------------------------------


def machine() -> list[str]:
    """A description of the machine and the software measured."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    commit = _commit()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        dirty = subprocess.run(
            ["git", "-C", str(BENCH.parent), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if dirty:
            commit += " (src has uncommitted changes)"
    work = generate.cache_dir()
    return [
        f"- **Date**: {datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
        f"- **CPU**: {cpu}, {os.cpu_count()} logical cores; **RAM**: {ram}; "
        f"load average at start: {load}",
        f"- **OS**: {platform.platform()}; working files on {_filesystem(work)}",
        f"- **Python** {platform.python_version()}, **Textual** {version('textual')}, "
        f"**Rich** {version('rich')}, **SQLite** {sqlite3.sqlite_version}, "
        f"**sqlite-utils** {version('sqlite-utils')}, **pydantic** {version('pydantic')}",
        f"- **tracker** {version('tracker')} at commit {commit}",
    ]


def _filesystem(path: Path) -> str:
    """The file system type of ``path`` (from /proc/mounts), for fsync-bound figures."""
    path = path.resolve() if path.exists() else path
    best, kind = "", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) > 2 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                best, kind = parts[1], parts[2]
    return f"{kind} ({path})"


def statements(store: Store, action: Callable[[], object]) -> float:
    """How many SQL statements the store issues while ``action()`` runs (by trace callback).

    Lines SQLite reports with a leading ``--`` are statements FTS5 runs on its own shadow
    tables to keep the search index, not the store's, and are not counted.
    """
    conn = store.db.conn
    log: list[str] = []
    conn.set_trace_callback(log.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return float(sum(not sql.startswith("--") for sql in log))


# --- the suite ----------------------------------------------------------------------------------


class Suite:
    def __init__(self, sizes: list[int | str], runs: int, quick: bool, workdir: Path) -> None:
        self.sizes = sizes
        self.runs = runs
        self.quick = quick
        self.work = workdir
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.started = time.monotonic()
        self.raw: dict = {}

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def copy(self, size: int, name: str) -> Path:
        """A fresh working copy of the data set's database (replacing the previous one,
        so that at most one copy of the biggest database is on disk at a time)."""
        folder = self.work / "db"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return generate.working_copy(size, folder, log=self.log)

    # -- 1 and 7: first paint and its memory --
    def first_paint(self, size: int) -> None:
        from tracker.store import Store
        from tracker.ui.widgets.plan_tree import category_label, plan_label

        db = self.copy(size, f"paint-{size}")
        store = Store.open(db)
        plan = store.plans()[0]
        categories = store.categories(plan.id)
        store.close()
        labels = {
            "root": plan_label(plan).plain,
            "children": [category_label(c).plain for c in categories],
        }
        labels_file = self.work / f"labels-{size}.json"
        labels_file.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
        # Three characters of each category's title: at 100,000 items the counts before
        # it (0/9905 单位0/112022 !2689) leave the tracker's tree room for only three.
        markers = [plan.title[:6], *(c.title[:3] for c in categories)]
        tracker_cmd = [*_tracker_command(), "--db", str(db), "--user", "bench"]
        bare_cmd = [sys.executable, str(BENCH / "firstpaint.py"), str(labels_file)]
        # One untimed launch of each warms the page cache and the bytecode caches.
        first_paint(tracker_cmd, markers)
        first_paint(bare_cmd, markers)
        paint, paint_base, rss, rss_base, errors = [], [], [], [], []
        for run in range(self.runs):
            order = [("t", tracker_cmd), ("b", bare_cmd)]
            if run % 2:
                order.reverse()
            for side, cmd in order:
                launch = first_paint(cmd, markers)
                if launch.error:
                    errors.append(f"{side}: {launch.error}")
                    continue
                (paint if side == "t" else paint_base).append(launch.seconds * 1000)
                (rss if side == "t" else rss_base).append(launch.maxrss_kb / MB)
        for error in errors[:3]:
            self.notes.append(f"first paint at {size:,}: {error}")
        goal, check = "", None
        if size in (47, 10_000):
            goal, check = "≤ 1.5×", ratio_at_most(1.5)
        elif size == 100_000:
            goal, check = "≤ 1.8×", ratio_at_most(1.8)
        self.add(
            Row(
                "1. launch → first frame",
                size_label(size),
                "ms",
                paint,
                paint_base,
                "bare Tree app",
                goal,
                check,
            )
        )
        self.raw[f"paint-{size}"] = {"tracker": paint, "bare": paint_base}
        mem_goal = ("≤ 250 MB", value_at_most(250)) if size == 100_000 else ("", None)
        self.add(
            Row(
                "7. peak memory, launch → first frame",
                size_label(size),
                "MB",
                rss,
                rss_base,
                "bare Tree app",
                *mem_goal,
            )
        )
        self.log(
            f"first paint {size:,}: {statistics.median(paint or [0]):.0f} ms "
            f"vs {statistics.median(paint_base or [0]):.0f} ms"
        )

    # -- 2 and 7: key presses in the expanded tree --
    def keys(self, size: int) -> None:
        presses = 20 if self.quick else 40
        results = {}
        variants = [("tracker", []), ("bare", [])]
        if not self.quick:  # the what-ifs
            variants += [("tracker", ["--gc-freeze"]), ("tracker", ["--gc-freeze", "--defer-pane"])]
        for side, extra in variants:
            db = self.copy(size, f"keys-{size}")
            out = self.work / f"keys-{size}-{side}{''.join(extra)}.json"
            args = [
                "keys",
                "--side",
                side,
                "--db",
                str(db),
                "--runs",
                str(self.runs),
                "--presses",
                str(presses),
                "--out",
                str(out),
                *extra,
            ]
            if not self._ui(args):
                continue
            results[side + "".join(extra)] = json.loads(out.read_text())
        tracker, bare = results.get("tracker"), results.get("bare")
        if not tracker or not bare:
            self.notes.append(f"key presses at {size:,}: not measured (see the log)")
            return
        big = size == 100_000
        per_run = lambda data, q: [percentile(r, q) * 1000 for r in data["runs"]]  # noqa: E731
        lines = tracker["lines"]
        self.add(
            Row(
                "2. tree key press, median",
                size_label(size),
                "ms",
                per_run(tracker, 50),
                per_run(bare, 50),
                "bare Tree, same nodes",
                *(("≤ 10 ms", value_at_most(10)) if big else ("", None)),
                note=f"{lines:,} lines",
            )
        )
        self.add(
            Row(
                "2. tree key press, p99",
                size_label(size),
                "ms",
                per_run(tracker, 99),
                per_run(bare, 99),
                "bare Tree, same nodes",
                *(("≤ 20 ms", value_at_most(20)) if big else ("", None)),
            )
        )
        floor = "bare Tree, same nodes"
        frozen = results.get("tracker--gc-freeze")
        if frozen:
            self.add(
                Row(
                    "2. … what-if A: gc.freeze() after loading, p99",
                    size_label(size),
                    "ms",
                    per_run(frozen, 99),
                    per_run(bare, 99),
                    floor,
                )
            )
        both = results.get("tracker--gc-freeze--defer-pane")
        if both:
            # What-ifs measure proposed changes: they carry no goal of their own.
            for q, label in ((50, "median"), (99, "p99")):
                self.add(
                    Row(
                        f"2. … what-if B: A + detail pane after the cursor rests, {label}",
                        size_label(size),
                        "ms",
                        per_run(both, q),
                        per_run(bare, q),
                        floor,
                    )
                )
        self.add(
            Row(
                "7. peak memory, whole tree expanded",
                size_label(size),
                "MB",
                [tracker["maxrss_kb"] / MB],
                [bare["maxrss_kb"] / MB],
                "bare Tree, same nodes",
                *(("≤ 250 MB", value_at_most(250)) if big else ("", None)),
            )
        )
        self.raw[f"keys-{size}"] = results
        self.log(
            f"keys {size:,}: median {statistics.median(per_run(tracker, 50)):.1f} ms, "
            f"p99 {statistics.median(per_run(tracker, 99)):.1f} ms over {lines:,} lines"
        )

    def _ui(self, args: list[str]) -> bool:
        command = [sys.executable, str(BENCH / "ui.py"), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if done.returncode:
            self.log(f"ui.py {' '.join(args[:3])} failed:\n{done.stderr[-2000:]}")
            self.notes.append(
                f"`ui.py {' '.join(args[:3])}` failed: "
                f"{(done.stderr.strip().splitlines() or ['?'])[-1]}"
            )
            return False
        return True

    # -- 3: status and notes saves --
    def saves(self, size: int) -> None:
        from tracker.domain.models import Status
        from tracker.store import Store

        db = self.copy(size, f"save-{size}")
        store = Store.open(db)
        synchronous = store.db.execute("PRAGMA synchronous").fetchone()[0]
        journal = store.db.execute("PRAGMA journal_mode").fetchone()[0]
        ids = [r[0] for r in store.db.execute("SELECT id FROM items ORDER BY id LIMIT 2000")]
        rng = random.Random(size)
        bare = sqlite3.connect(db, isolation_level=None)
        bare.execute("PRAGMA synchronous = FULL")
        ops = 10 if self.quick else 20
        status_runs, status_base, notes_runs, notes_base = [], [], [], []
        status_sql: list[float] = []
        notes_sql: list[float] = []
        current: dict[str, Status] = {}
        for run in range(self.runs):
            t_status, b_status, t_notes, b_notes = [], [], [], []
            for op in range(ops):
                item = rng.choice(ids)
                new = Status.DONE if current.get(item) == Status.IN_PROGRESS else Status.IN_PROGRESS
                current[item] = new
                note = f"第{run}轮第{op}次：" + "已按要求在门户网站公开相关信息，" * 12
                t0 = time.perf_counter()
                store.set_status(item, new, "bench")
                t1 = time.perf_counter()
                store.save_notes(item, note, "bench")
                t2 = time.perf_counter()
                other = rng.choice(ids)
                bare.execute("BEGIN IMMEDIATE")
                bare.execute("UPDATE items SET status = ? WHERE id = ?", [new.value, other])
                bare.execute("COMMIT")
                t3 = time.perf_counter()
                bare.execute("BEGIN IMMEDIATE")
                bare.execute("UPDATE items SET notes = ? WHERE id = ?", [note, other])
                bare.execute("COMMIT")
                t4 = time.perf_counter()
                t_status.append(t1 - t0)
                t_notes.append(t2 - t1)
                b_status.append(t3 - t2)
                b_notes.append(t4 - t3)
            status_runs.append(statistics.median(t_status) * 1000)
            notes_runs.append(statistics.median(t_notes) * 1000)
            status_base.append(statistics.median(b_status) * 1000)
            notes_base.append(statistics.median(b_notes) * 1000)
            # Counted apart from the timed saves, whose times the trace would distort.
            item = rng.choice(ids)
            new = Status.DONE if current.get(item) == Status.IN_PROGRESS else Status.IN_PROGRESS
            current[item] = new
            status_sql.append(statements(store, partial(store.set_status, item, new, "bench")))
            note = f"第{run}轮计数：" + "已按要求在门户网站公开相关信息，" * 12
            notes_sql.append(statements(store, partial(store.save_notes, item, note, "bench")))
        bare.close()
        store.close()
        base = "bare UPDATE+COMMIT, same file"
        self.add(
            Row(
                "3. status change, committed",
                size_label(size),
                "ms",
                status_runs,
                status_base,
                base,
                "≤ 5 ms",
                value_at_most(5),
            )
        )
        self.add(
            Row(
                "3. notes save (~200 chars), committed",
                size_label(size),
                "ms",
                notes_runs,
                notes_base,
                base,
                "≤ 5 ms, ≤ 2×",
                AllOf((value_at_most(5), ratio_at_most(2))),
            )
        )
        # The bare baseline's statements: BEGIN IMMEDIATE, UPDATE, COMMIT.
        sql_base = "bare BEGIN+UPDATE+COMMIT"
        self.add(
            Row(
                "3. SQL statements per status change",
                size_label(size),
                "statements",
                status_sql,
                [3.0],
                sql_base,
                "≤ 5",
                value_at_most(5),
            )
        )
        self.add(
            Row(
                "3. SQL statements per notes save",
                size_label(size),
                "statements",
                notes_sql,
                [3.0],
                sql_base,
                "≤ 5",
                value_at_most(5),
            )
        )
        if size == self.sizes[0]:
            self.notes.append(
                f"saves: the store's connection runs with journal_mode={journal}, "
                f"synchronous={synchronous} (2 = FULL); the baseline uses the same file and "
                "settings on its own connection."
            )

    # -- 4: search --
    def search(self, size: int) -> None:
        from tracker.services.search import search
        from tracker.store import Store

        db = self.copy(size, f"search-{size}")
        store = Store.open(db)
        plan_id = store.plans()[0].id
        reps = 3
        for label, query in SEARCH_QUERIES:
            search(store, plan_id, query)  # warm: pypinyin's dictionary, SQLite's cache
            values, base, found = [], [], 0
            for _ in range(self.runs):
                samples, floor = [], []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    found = len(search(store, plan_id, query))
                    t1 = time.perf_counter()
                    store.db.execute(
                        "SELECT count(*) FROM items WHERE instr(content, ?)", [query]
                    ).fetchone()
                    t2 = time.perf_counter()
                    samples.append(t1 - t0)
                    floor.append(t2 - t1)
                values.append(statistics.median(samples) * 1000)
                base.append(statistics.median(floor) * 1000)
            matches = store.db.execute(
                "SELECT count(*) FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
                "JOIN categories ON categories.id = key_tasks.category_id "
                "WHERE categories.plan_id = ? AND instr(items.content, ?)",
                [plan_id, query],
            ).fetchone()[0]
            big = size in GOAL_SIZES
            self.add(
                Row(
                    f"4. search {label} 「{query}」",
                    size_label(size),
                    "ms",
                    values,
                    base,
                    "instr() scan of all items",
                    *(("≤ 10 ms", value_at_most(10)) if big else ("", None)),
                    note=f"{found} shown, {matches:,} items match by content",
                )
            )
        store.close()

    # -- 5: snapshot export --
    def export(self, size: int) -> None:
        from tracker.store import Store

        db = self.copy(size, f"export-{size}")
        store = Store.open(db)
        out_dir = self.work / f"export-out-{size}"
        out_dir.mkdir(exist_ok=True)
        values, base = [], []
        for run in range(self.runs):
            ours, theirs = out_dir / f"snapshot-{run}.db", out_dir / f"backup-{run}.db"

            def snapshot(path: Path = ours) -> float:
                t0 = time.perf_counter()
                store.export_snapshot(path)
                return time.perf_counter() - t0

            def backup(path: Path = theirs) -> float:
                t0 = time.perf_counter()
                target = sqlite3.connect(path)
                store.db.conn.backup(target)
                target.close()
                return time.perf_counter() - t0

            if run % 2:
                base.append(backup() * 1000)
                values.append(snapshot() * 1000)
            else:
                values.append(snapshot() * 1000)
                base.append(backup() * 1000)
            ours.unlink(missing_ok=True)
            theirs.unlink(missing_ok=True)
        items = store.db.execute("SELECT count(*) FROM items").fetchone()[0]
        share = _fts_share(store.db.conn)
        table_share = _fts_share(store.db.conn, "items")
        text = _text_bytes(store.db.conn)
        store.close()
        megabytes = db.stat().st_size / 1024 / 1024
        per_item = db.stat().st_size / 1024 / max(items, 1)
        self.add(
            Row(
                "5. database size per item",
                size_label(size),
                "KB",
                [per_item],
                [text / 1024 / max(items, 1)],
                "the text alone (UTF-8, no index, no ids)",
                goal="≤ 1.2 KB" if size in GOAL_SIZES else "",
                check=value_at_most(1.2) if size in GOAL_SIZES else None,
                note=f"{megabytes:,.1f} MB for {items:,} items; search index {share:.0%}, "
                f"items table {table_share:.0%} (its text, ids, dates and counts)",
            )
        )
        self.add(
            Row(
                "5. snapshot export",
                size_label(size),
                "ms",
                values,
                base,
                "Connection.backup() to a file",
                *(("≤ 1.2×", ratio_at_most(1.2)) if size in GOAL_SIZES else ("", None)),
                note=f"database {megabytes:,.0f} MB",
            )
        )

    # -- 6: import --
    def import_plan(self) -> None:
        from sqlite_utils import Database

        from tracker.importers.parser import read_plan_file
        from tracker.store import Store

        plan_file = generate.write_import_plan(generate.cache_dir() / "plans")
        plan = read_plan_file(plan_file)
        rows = [
            {
                "id": f"{c}-{k}-{i}",
                "key_task_id": f"{c}-{k}",
                "seq": i,
                "content": item.content,
                "units_text": item.units_text,
                "deadline_text": item.deadline_text,
            }
            for c, category in enumerate(plan.categories)
            for k, key_task in enumerate(category.key_tasks)
            for i, item in enumerate(key_task.items)
        ]
        folder = self.work / "import"
        folder.mkdir(exist_ok=True)
        values, base, parse, cpu = [], [], [], []
        for run in range(self.runs):
            target = folder / f"import-{run}.db"
            store = Store.open(target)
            t0 = time.perf_counter()
            c0 = time.process_time()
            parsed = read_plan_file(plan_file)
            t1 = time.perf_counter()
            store.import_plan(parsed)
            t2 = time.perf_counter()
            cpu.append(time.process_time() - c0)
            store.close()
            floor_db = Database(folder / f"floor-{run}.db")
            floor_db.enable_wal()
            floor_db.execute("PRAGMA synchronous = FULL")
            t3 = time.perf_counter()
            with floor_db.conn:
                floor_db["items"].insert_all(rows, pk="id")
            t4 = time.perf_counter()
            floor_db.close()
            values.append(t2 - t0)
            parse.append(t1 - t0)
            base.append(t4 - t3)
        shutil.rmtree(folder, ignore_errors=True)
        self.add(
            Row(
                "6. import 10,000-item plan (read+parse+import)",
                f"{plan.item_count:,}",
                "s",
                values,
                base,
                "sqlite-utils insert_all of the rows",
                "≤ 1.5 s",
                value_at_most(1.5),
                # CPU time tells a slow import from a busy machine.
                note=f"CPU {statistics.median(cpu):.2f} s",
            )
        )
        self.add(
            Row(
                "6. … of which read+parse",
                f"{plan.item_count:,}",
                "s",
                parse,
                base,
                "sqlite-utils insert_all of the rows",
            )
        )

    # -- 8: typing in a long note --
    def typing(self) -> None:
        ints = [s for s in self.sizes if isinstance(s, int)] or [10_000]
        candidates = [s for s in ints if s <= 10_000] or [min(ints)]
        size = max(candidates)
        keys = 10 if self.quick else 30
        results = {}
        geometry: list[str] = []
        sides = ["tracker", "bare-empty"]
        if not self.quick:
            sides += ["bare-long", "bare-notesarea", "tracker-notesarea"]
        for side in sides:
            db = self.copy(size, f"typing-{size}")
            out = self.work / f"typing-{side}.json"
            args = [
                "typing",
                "--side",
                side,
                "--db",
                str(db),
                "--runs",
                str(self.runs),
                "--keys",
                str(keys),
                "--out",
                str(out),
                *geometry,
            ]
            if not self._ui(args):
                continue
            results[side] = json.loads(out.read_text())
            if side == "tracker":
                width, height = results[side]["outer_size"]
                geometry = ["--width", str(width), "--height", str(height)]
        self.raw["typing"] = results
        if "tracker" not in results or "bare-empty" not in results:
            self.notes.append("typing: not measured (see the log)")
            return
        per_run = lambda data, q: [percentile(r, q) * 1000 for r in data["runs"]]  # noqa: E731
        floor = per_run(results["bare-empty"], 50)
        floor99 = per_run(results["bare-empty"], 99)
        where = size_label(size)
        base = "empty TextArea, same size"
        self.add(
            Row(
                "8. typing, 10,000-char note, per key, median",
                where,
                "ms",
                per_run(results["tracker"], 50),
                floor,
                base,
                "≤ 50 ms",
                value_at_most(50),
            )
        )
        self.add(
            Row(
                "8. typing, 10,000-char note, per key, p99",
                where,
                "ms",
                per_run(results["tracker"], 99),
                floor99,
                base,
            )
        )
        extra = (
            ("bare-long", "8. … Textual TextArea alone, same note"),
            ("bare-notesarea", "8. … proposed NotesArea alone, same note"),
            ("tracker-notesarea", "8. … what-if: tracker with NotesArea"),
        )
        for side, label in extra:
            if side in results:
                self.add(
                    Row(
                        f"{label}, median",
                        where,
                        "ms",
                        per_run(results[side], 50),
                        floor,
                        base,
                    )
                )

    # -- the whole suite --
    def run(self, only: frozenset[str] = PARTS) -> None:
        # ``10000x5``-style data sets (units' reports) are for the database figures only.
        plain = [s for s in self.sizes if isinstance(s, int)]
        for size in self.sizes:
            generate.build_db(size, log=self.log)
        if "paint" in only:
            for size in plain:
                self.first_paint(size)
        if "keys" in only:
            for size in plain:
                self.keys(size)
        if "saves" in only:
            for size in self.sizes:
                self.saves(size)
                self.log(f"saves {size_label(size)} done")
        if "search" in only:
            for size in self.sizes:
                self.search(size)
                self.log(f"search {size_label(size)} done")
        if "export" in only:
            for size in self.sizes:
                self.export(size)
                self.log(f"export {size_label(size)} done")
        if "import" in only:
            self.import_plan()
            self.log("import done")
        if "typing" in only:
            self.typing()
            self.log("typing done")
        if "tests" in only and not self.quick:
            self.test_suite()
            self.log("tests done")

    # -- 9: the test suite --
    def test_suite(self) -> None:
        """The README's test command (as ``.ci/run`` runs it) and the fast inner loop, once
        each: wall time on this machine (goal: ≤ 4 minutes for the whole suite)."""
        repo = BENCH.parent
        env = {**os.environ, "TRACKER_SKIP_PRINT": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as .ci/run: bytecode cached once
        loops = (
            ("9. test suite, whole (pytest, as .ci/run)", [], "≤ 240 s", value_at_most(240)),
            (
                "9. test suite, fast loop (-m 'not slow and not e2e')",
                ["-m", "not slow and not e2e"],
                "",
                None,
            ),
        )
        for figure, args, goal, check in loops:
            self.log(f"{figure} …")
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - started
            summary = (proc.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
            if proc.returncode:
                summary = f"FAILED (exit {proc.returncode}): {summary}"
            self.add(Row(figure, "whole suite", "s", [wall], goal=goal, check=check, note=summary))


def _text_bytes(conn: sqlite3.Connection) -> int:
    """The bytes of the text a clerk can search, in UTF-8, with nothing around it: the
    items' content, units and notes, the units' notes, the key task and category titles.
    No database of this data with a substring index over the notes can be smaller."""
    return sum(
        conn.execute(sql).fetchone()[0] or 0
        for sql in (
            "SELECT sum(length(CAST(content AS BLOB)) + length(CAST(units_text AS BLOB)) "
            "+ length(CAST(notes AS BLOB))) FROM items",
            "SELECT sum(length(CAST(notes AS BLOB))) FROM reports",
            "SELECT sum(length(CAST(title AS BLOB))) FROM key_tasks",
            "SELECT sum(length(CAST(title AS BLOB))) FROM categories",
        )
    )


def _fts_share(conn: sqlite3.Connection, table: str = "") -> float:
    """The share of the database's pages that belong to the search index's tables (or,
    given a ``table``, to that table alone)."""
    try:
        rows = conn.execute("SELECT name, count(*) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.Error:
        return float("nan")
    total = sum(count for _, count in rows) or 1
    if table:
        return sum(count for name, count in rows if name == table) / total
    return sum(count for name, count in rows if name.startswith("items_fts")) / total


def _tracker_command() -> list[str]:
    """The installed ``tracker`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("tracker")
    if script.exists():
        return [str(script)]
    found = shutil.which("tracker")
    return [found] if found else [sys.executable, "-m", "tracker"]


# --- output ---

HEADERS = (
    "figure",
    "size",
    "median",
    "spread (min–max of runs)",
    "baseline",
    "ratio",
    "goal",
    "met?",
    "previous run",
    "notes",
)


def _order(rows: list[Row]) -> Callable[[Row], tuple[int, int]]:
    """Figures in their number's order; within a number, as they were measured."""
    order = {name: i for i, name in enumerate(dict.fromkeys(r.figure.split(".")[0] for r in rows))}
    return lambda r: (int(r.figure.split(".")[0]), order.get(r.figure, 0))


def _commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["git", "-C", str(BENCH.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return "?"


def table_rows(rows: list[Row]) -> list[tuple[str, ...]]:
    ordered = sorted(rows, key=_order(rows))
    out = []
    for row in ordered:
        base = f"{fmt(row.base, row.unit)} ({row.baseline_name})" if row.baseline else "—"
        ratio = f"{row.ratio:.2f}×" if row.baseline and row.ratio == row.ratio else "—"
        out.append(
            (
                row.figure,
                row.size,
                fmt(row.median, row.unit),
                spread(row),
                base,
                ratio,
                row.goal or "—",
                row.met or "—",
                row.previous or "—",
                row.note,
            )
        )
    return out


def markdown(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def plain(rows: list[tuple[str, ...]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADERS, show_lines=False, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    console = Console(width=250, record=True, force_terminal=False)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


def load_previous() -> dict:
    """The previous full run's figures (``bench/results.json``), or nothing."""
    try:
        previous = json.loads(PREVIOUS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def save_previous(rows: list[Row], run: str) -> None:
    """Keep this run's figures for the next full run's "previous run" column."""
    figures = {row.key: row.shown() for row in rows}
    PREVIOUS.write_text(
        json.dumps({"run": run, "figures": figures}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


def missed(rows: list[Row]) -> list[str]:
    """One line per goal missed: the figure, by how much, and where the reasons are."""
    lines = []
    for row in rows:
        if row.check is None or row.median != row.median or row.check(row):
            continue
        lines.append(
            f"- **{row.figure}** at {row.size}: {row.shown()} against {row.goal} — "
            f"{row.check.over(row):.0%} over the goal."
        )
    return lines


def goals_table(rows: list[Row], previous_run: str) -> str:
    """The rows that carry a goal, as the README quotes them."""
    headers = ("figure", "size", "this run", "baseline", "goal", "met?")
    headers += (f"previous run ({previous_run})",)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        if row.check is None:
            continue
        base = f"{fmt(row.base, row.unit)} ({row.baseline_name})" if row.baseline else "—"
        cells = (row.figure, row.size, row.shown(), base, row.goal, row.met, row.previous or "—")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def quote_goals_in_readme(table: str, heading: str) -> None:
    """Put the goals table between the markers in the top-level README.md."""
    readme = BENCH.parent / "README.md"
    start, end = "<!-- goals:start -->", "<!-- goals:end -->"
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{heading}\n\n{table}\n{end}{after}", encoding="utf-8")


def quote_in_readme(results: str) -> None:
    """Put the results (without their heading) between the markers in bench/README.md."""
    readme = BENCH / "README.md"
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return
    body = results.split("\n", 2)[2].strip()  # drop "# tracker benchmark results"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{body}\n{end}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in (*generate.SIZES, "10000x5")),
        help="comma-separated item counts; 10000x5: 10,000 items with 5 units' reports each "
        "(default: 47,1000,10000,100000,10000x5)",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="47 and 1,000 items, 2 runs (a minute); overrides --sizes/--runs",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH / "results.md",
        help="where to write the table (default bench/results.md)",
    )
    parser.add_argument(
        "--only",
        default=",".join(sorted(PARTS)),
        help=f"comma-separated parts to run (default all: {', '.join(sorted(PARTS))})",
    )
    args = parser.parse_args(argv)
    only = frozenset(part.strip() for part in args.only.split(",") if part.strip())
    if not only <= PARTS:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(only - PARTS))}")
    sizes: list[int | str] = (
        [47, 1_000]
        if args.quick
        else [s if "x" in s else int(s.replace("_", "")) for s in args.sizes.split(",")]
    )
    runs = 2 if args.quick else max(1, args.runs)
    description = machine()
    generate.cache_dir().mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="work-", dir=generate.cache_dir()))
    suite = Suite(sizes, runs, args.quick, workdir)
    gc.collect()
    try:
        suite.run(only)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    previous = load_previous()
    previous_figures = previous.get("figures", {})
    for row in suite.rows:
        row.previous = previous_figures.get(row.key, "")
    previous_run = previous.get("run", "none")
    ordered = sorted(suite.rows, key=_order(suite.rows))
    rows = table_rows(suite.rows)
    missed_goals = missed(ordered)
    elapsed = time.monotonic() - suite.started
    print(plain(rows))
    for note in suite.notes:
        print(f"note: {note}")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    mode = "quick" if args.quick else "full"
    text = "\n".join(
        [
            "# tracker benchmark results",
            "",
            f"`python bench/run.py{' --quick' if args.quick else ''}` ({mode} run: sizes "
            f"{', '.join(size_label(s) for s in sizes)}; {runs} runs per figure; "
            f"{'' if only == PARTS else 'only ' + ', '.join(sorted(only)) + '; '}"
            f"took {elapsed / 60:.1f} min; load average at the end: {load}).",
            "",
            *description,
            "",
            "Median over the runs; spread is the min–max of the runs; ratio = median ÷ the "
            "baseline's median (measured in the same run, interleaved). See bench/README.md.",
            "",
            f"The previous run column: {previous_run}.",
            "",
            markdown(rows),
            "",
            *(f"- {note}" for note in suite.notes),
            "",
            "## Goals missed",
            "",
            *(
                [
                    *missed_goals,
                    "",
                    "Why each is missed, with the evidence (profiles, what was tried): "
                    "bench/README.md, «Where the goals are missed».",
                ]
                if missed_goals
                else ["Every goal measured in this run is met."]
            ),
            "",
        ]
    )
    print("\n".join(["goals missed:", *missed_goals] if missed_goals else ["every goal met"]))
    args.out.write_text(text, encoding="utf-8")
    if not args.quick and only == PARTS and args.out == BENCH / "results.md":
        quote_in_readme(text)
        run_name = f"{datetime.now().astimezone():%Y-%m-%d}, commit {_commit()}"
        quote_goals_in_readme(
            goals_table(ordered, previous_run),
            f"The latest full run ({run_name}; 2 shared cores; medians of {runs} runs; "
            "ratios against a baseline measured in the same run):",
        )
        save_previous(ordered, run_name)
    (generate.cache_dir() / "last-run.json").write_text(json.dumps(suite.raw))
    print(f"wrote {args.out} in {elapsed / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
