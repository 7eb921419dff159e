"""Soak: SIGKILL the installed ``tracker`` at random moments while a clerk types, many times.

Each run starts the app on a fresh database in its own tmux server (80×24), opens the
first item, types Chinese notes in chunks of 1-6 characters with short random pauses,
and kills it with SIGKILL at a random moment 2.5-5 s after the first key. Then the
database is opened (SQLite replays the WAL) and checked:

* ``PRAGMA integrity_check`` is ``ok``;
* the stored notes, and every notes value the autosave logged, are a prefix of what
  was typed;
* nothing typed more than 2 s before the kill is lost.

It is the end-to-end test ``test_sigkill_mid_typing_keeps_a_prefix_and_loses_nothing_
older_than_2s`` (tests/test_crash.py) repeated; it needs tmux and the test extras.

    python bench/soak_kill.py                 # 50 runs
    python bench/soak_kill.py --runs 200 --seed 7

Prints one line per run and a summary line; exits 1 if any run broke the promise.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from test_crash import PROMISE, type_and_kill  # noqa: E402
from test_e2e import TRACKER, Terminal  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="how many kills (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--slack",
        type=float,
        default=0.0,
        help="seconds allowed beyond the 2 s promise (default 0: the promise exactly)",
    )
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 2
    if not TRACKER.exists():
        print(f"tracker is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    print(f"soak_kill: {args.runs} runs, seed {seed}, program {TRACKER}", flush=True)

    failures = 0
    lags: list[float] = []
    saves = 0
    started = time.monotonic()
    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="tracker-soak-") as tmp:
            term = Terminal(Path(tmp))
            try:
                run = type_and_kill(term, rng)
                problems = run.problems(PROMISE + args.slack)
            except AssertionError as error:  # the app died early, a screen never came…
                run, problems = None, [f"run failed: {error}"]
            finally:
                term.close()
        if run is not None:
            lags.append(run.lag)
            saves += len(run.logged)
        verdict = "FAIL" if problems else "ok"
        failures += bool(problems)
        detail = run.summary() if run is not None else ""
        print(f"run {number:3}/{args.runs}: {verdict:4} {detail}", flush=True)
        for problem in problems:
            print(textwrap.indent(problem.rstrip(), " " * 10), flush=True)

    elapsed = time.monotonic() - started
    print(
        f"summary: {args.runs} runs, {failures} failures, seed {seed}, "
        f"max lag {max(lags, default=0.0):.3f} s (promise {PROMISE:.1f} s + {args.slack} s), "
        f"mean lag {sum(lags) / len(lags) if lags else 0.0:.2f} s, "
        f"{saves} autosaves, {elapsed:.0f} s",
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
