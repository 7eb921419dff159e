"""The merge fuzz harness, run long: many more Hypothesis examples than CI runs.

    python bench/fuzz_merge.py              # 500 examples (about 10 minutes on 2 cores)
    python bench/fuzz_merge.py 5000

Runs ``tests/test_merge_fuzz.py`` with ``TRACKER_FUZZ_EXAMPLES`` set and Hypothesis'
random seed (CI uses a fixed one). A failing example is printed by Hypothesis as the
operations that built the file; add it to ``test_examples_that_broke_something`` (or,
for a crafted file worth keeping, to ``tests/fixtures/hostile_snapshots.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    examples = argv[0] if argv else "500"
    env = {**os.environ, "TRACKER_FUZZ_EXAMPLES": examples}
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            str(ROOT / "tests" / "test_merge_fuzz.py"),
        ],
        env=env,
        cwd=ROOT,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
