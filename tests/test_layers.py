"""The data layer knows nothing of the UI: importing it (and the CLI) loads no Textual."""

from __future__ import annotations

import subprocess
import sys

DATA_LAYER = [
    "domain.models",
    "importers.parser",
    "store.schema",
    "store",
    "store.snapshot",
    "merge.incoming",
    "merge",
    "services.drafts",
    "store.locations",
    "cli",
]


def test_data_layer_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import tracker.{name}\n" for name in DATA_LAYER)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_importing_does_no_work(tmp_path) -> None:
    """No directories created, no database opened at import time."""
    home = tmp_path / "clean-home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "PATH": ""}
    code = "".join(f"import tracker.{name}\n" for name in [*DATA_LAYER, "ui.app"])
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert list(home.iterdir()) == []
