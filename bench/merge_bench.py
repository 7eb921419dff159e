"""Time and memory to merge a big snapshot (issue 14: 300,000 changes once took 112 s and
1.1 GB), each figure next to a baseline measured in the same run.

    python bench/merge_bench.py                       # 300,000 changes over 1,000 items
    python bench/merge_bench.py --changes 50000 --runs 1

The clerk's database is the benchmarks' generated 1,000-item plan (``bench/generate.py``);
the snapshot is a copy of it in which another machine made ``--changes`` changes (status
and notes, one second apart). Every run is a fresh process on fresh copies, so peak
memory (``ru_maxrss``) is that of one merge:

* **merge** — ``merge_snapshot``: vetting, reading every change through the checks,
  writing the new ones, recomputing the touched items, one transaction;
* **baseline** — SQLite alone moving the same rows: the snapshot attached, its changes
  inserted with ``INSERT … SELECT`` and the items' values copied, one transaction, no
  checks (the least any merge has to do);
* **startup** — the process importing tracker and opening the database (the memory
  every command pays before it does anything).

Runs are interleaved (merge, baseline, startup, merge, …); medians are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def build(folder: Path, changes: int, items: int) -> tuple[Path, Path]:
    """The clerk's database and the snapshot to merge into it."""
    import generate

    clerk = generate.working_copy(items, folder, log=None)
    snap = folder / "snapshot.db"
    shutil.copyfile(clerk, snap)
    conn = sqlite3.connect(snap, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        ids = [row[0] for row in conn.execute("SELECT id FROM items ORDER BY rowid")]
        machine = "b" * 32
        conn.execute("BEGIN")
        conn.execute("UPDATE settings SET value = ? WHERE key = 'machine_id'", [machine])
        conn.execute(
            "INSERT INTO machines VALUES (?, '对方电脑', '2023-06-01T08:00:00+08:00')", [machine]
        )
        last: dict[tuple[str, str], str] = {}
        statuses = ["in_progress", "done", "on_hold", "ongoing", "not_started"]
        rows = []
        for n in range(changes):
            item = ids[n % len(ids)]
            field = "status" if n % 3 == 0 else "notes"
            new = (
                statuses[n % 5]
                if field == "status"
                else f"第{n}次进展：已按要求推进，下一步继续落实。"
            )
            old = last.get((item, field), "not_started" if field == "status" else "")
            when = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(1685577600 + n))
            rows.append((f"{n:032x}", item, field, old, new, when, "李四", None, "edit", machine))
            last[(item, field)] = new
        conn.executemany(
            "INSERT INTO changes (id, item_id, field, old_value, new_value, changed_at, by, "
            "session_id, kind, machine_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        for (item, field), value in last.items():
            # The office's changes (no unit): the logged status is its verdict.
            column = "office_status" if field == "status" else field
            conn.execute(f"UPDATE items SET {column} = ? WHERE id = ?", [value, item])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return clerk, snap


def child(kind: str, clerk: Path, snap: Path) -> dict:
    """One measurement, in this (fresh) process."""
    start = time.perf_counter()
    if kind == "baseline":
        conn = sqlite3.connect(clerk, isolation_level=None)
        conn.execute(f"ATTACH '{snap.absolute().as_uri()}?mode=ro' AS snap")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO changes SELECT * FROM snap.changes "
            "WHERE id NOT IN (SELECT id FROM main.changes)"
        )
        conn.execute(
            "UPDATE items SET status = s.status, notes = s.notes FROM snap.items AS s "
            "WHERE s.id = items.id"
        )
        conn.execute("COMMIT")
        conn.close()
        done = {}
    else:
        from datetime import datetime

        from tracker.store import Store

        store = Store.open(clerk, clock=lambda: datetime(2023, 12, 1).astimezone())
        if kind == "merge":
            from tracker.merge import merge_snapshot

            result = merge_snapshot(store, snap, "张三")
            done = {"changes_in": result.changes_in, "items": result.items_updated}
        else:
            done = {}
        store.close()
    seconds = time.perf_counter() - start
    peak_mb = _peak_mb()
    return {"seconds": seconds, "peak_mb": peak_mb, **done}


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: since its exec, unlike ru_maxrss,
    which Linux carries over from the parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, clerk: Path, snap: Path, folder: Path) -> dict:
    work = folder / f"{kind}.db"
    shutil.copyfile(clerk, work)
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(work), str(snap)],
        check=True,
        capture_output=True,
        text=True,
    )
    work.unlink()
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "CLERK", "SNAP"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        kind, clerk, snap = args.child
        print(json.dumps(child(kind, Path(clerk), Path(snap))))
        return 0
    with tempfile.TemporaryDirectory(prefix="tracker-merge-bench-") as temp:
        folder = Path(temp)
        print(
            f"building: {args.items} items, a snapshot of {args.changes} changes …", file=sys.stderr
        )
        clerk, snap = build(folder, args.changes, args.items)
        figures: dict[str, list[dict]] = {"merge": [], "baseline": [], "startup": []}
        for run in range(args.runs):
            for kind in figures:
                print(f"run {run + 1}/{args.runs}: {kind}", file=sys.stderr)
                figures[kind].append(measure(kind, clerk, snap, folder))
        size_mb = snap.stat().st_size / 1e6
    med = {
        k: {f: statistics.median(r[f] for r in v) for f in ("seconds", "peak_mb")}
        for k, v in figures.items()
    }
    merged = figures["merge"][0]
    merge, base, startup = med["merge"], med["baseline"], med["startup"]
    print(
        f"merge of a snapshot with {args.changes:,} changes over {args.items:,} items "
        f"({size_mb:.0f} MB), median of {args.runs}; {merged['changes_in']:,} changes in, "
        f"{merged['items']:,} items updated"
    )
    print("| figure | merge | baseline | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| time | {merge['seconds']:.2f} s | {base['seconds']:.2f} s "
        f"(SQLite INSERT…SELECT, no checks) | {merge['seconds'] / base['seconds']:.1f}× |"
    )
    print(
        f"| peak memory | {merge['peak_mb']:.0f} MB | {startup['peak_mb']:.0f} MB "
        f"(tracker started, database open) | +{merge['peak_mb'] - startup['peak_mb']:.0f} MB |"
    )
    print(f"| peak memory, SQLite alone | | {base['peak_mb']:.0f} MB | |")
    print("before issue 14: 112 s and 1.1 GB for 300,000 changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
