"""Hostile plan and ledger files: time and peak memory of each refusal, and a long fuzz run.

    python bench/hostile_files.py                 # the attacks of issue 14 + 2,000 fuzz examples
    python bench/hostile_files.py --fuzz 20000    # a longer fuzz run
    python bench/hostile_files.py --fuzz 0        # the attacks only (about a minute)

Each attack runs ``tracker import`` / ``tracker import-ledger`` as a child process on a
fresh copy of a database holding the seed plan; its wall time, its peak resident memory
(its own ``VmHWM``, interpreter included; Linux) and the first line of its answer
are printed as a Markdown table. The goal is a refusal with a reason in under 200 MB
for every bomb. The fuzz run uses the strategies of ``tests/fuzz_files.py`` with random
seeds (the CI test runs 30 derandomised examples); a failing example is printed by
Hypothesis and should become a fixture in ``tests/crafted.py``.

Files are written to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import crafted
import fuzz_files

from tracker.store.locations import bundled_plan_path

MB = 1024 * 1024


def attacks(folder: Path) -> dict[str, Path]:
    """The files of issue 14's attacks (and one accepted near the row limit)."""
    files = {
        "2 MB zip bomb (2 GB inflated)": crafted.zip_bomb(folder / "bomb.xlsx", 2 * 1024 * MB),
        "merged A3:XFD1048576": folder / "merged.xlsx",
        "value in row 1048576": folder / "far.xlsx",
        "1M-row csv": folder / "rows.csv",
        "docx named .xlsx": folder / "word.xlsx",
        "20,000-row sheet (accepted size)": folder / "big.xlsx",
    }
    for name, data in crafted.fixtures().items():
        if name == "merged-a3-xfd1048576.xlsx":
            files["merged A3:XFD1048576"].write_bytes(data)
        elif name == "value-in-last-row.xlsx":
            files["value in row 1048576"].write_bytes(data)
        elif name == "word-named.xlsx":
            files["docx named .xlsx"].write_bytes(data)
    with open(files["1M-row csv"], "w", encoding="utf-8") as handle:
        handle.write("序号,具体内容,状态,进展情况\n")
        handle.write("9,x,x,x\n" * 1_000_000)
    rows = [[crafted.TITLE], crafted.HEADER]
    rows += [
        [f"类{i // 400}", f"重点{i // 20}", f"内容{i}", "区发改局", "6月底前"]
        for i in range(19_990)
    ]
    files["20,000-row sheet (accepted size)"].write_bytes(
        crafted.xlsx_bytes(crafted.sheet_xml(rows))
    )
    return files


def measure_attacks(folder: Path) -> list[str]:
    db, _ = fuzz_files.ledger_template(folder, bundled_plan_path())
    lines = [
        "| file | size | command | seconds | peak RSS | answer |",
        "|---|---:|---|---:|---:|---|",
    ]
    for label, path in attacks(folder).items():
        for command in (["import"], ["import-ledger", "--by", "区发改局"]):
            work = folder / "work.db"
            shutil.copyfile(db, work)
            seconds, peak, output = crafted.run_tracker_measured(
                command[0], str(path), *command[1:], "--db", str(work)
            )
            answer = (output.strip().splitlines() or [""])[-1][:90].replace("|", "/")
            lines.append(
                f"| {label} | {path.stat().st_size / 1024:,.0f} KB | {command[0]} | "
                f"{seconds:.2f} | {peak / MB:.0f} MB | {answer} |"
            )
            print(lines[-1], file=sys.stderr)
    return lines


def fuzz(examples: int) -> None:
    from hypothesis import HealthCheck, given, settings

    options = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    folder = fuzz_files.scratch()
    try:
        db, ledger_bases = fuzz_files.ledger_template(folder, bundled_plan_path())
        counts = {"plan": [0, 0], "ledger": [0, 0]}

        @options
        @given(fuzz_files.hostile_files(fuzz_files.plan_bases()))
        def plans(file: tuple[str, bytes]) -> None:
            work = Path(tempfile.mkdtemp(dir=folder))
            counts["plan"][fuzz_files.check_plan_file(work, *file, db)] += 1
            shutil.rmtree(work)

        @options
        @given(fuzz_files.hostile_files(ledger_bases))
        def ledgers(file: tuple[str, bytes]) -> None:
            work = Path(tempfile.mkdtemp(dir=folder))
            counts["ledger"][fuzz_files.check_ledger_file(work, *file, db)] += 1
            shutil.rmtree(work)

        for name, test in (("plan", plans), ("ledger", ledgers)):
            started = time.perf_counter()
            test()
            refused, accepted = counts[name]
            print(
                f"fuzz {name} files: {refused + accepted} examples, {accepted} accepted, "
                f"{refused} refused, no other outcome ({time.perf_counter() - started:.0f} s)"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=2000, help="fuzz examples per file kind")
    parser.add_argument("--no-attacks", action="store_true", help="only the fuzz run")
    options = parser.parse_args()
    if not options.no_attacks:
        folder = Path(tempfile.mkdtemp(prefix="tracker-hostile-"))
        try:
            print("\n".join(measure_attacks(folder)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if options.fuzz:
        fuzz(options.fuzz)


if __name__ == "__main__":
    main()
