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


def test_cli_modules_do_not_import_the_cli_group() -> None:
    """The command modules share :mod:`tracker.cli.common`; none imports the group
    (``tracker.cli`` itself), which imports them: no cycle."""
    import ast
    from pathlib import Path

    import tracker.cli

    package = Path(tracker.cli.__file__).parent
    modules = sorted(p for p in package.glob("*.py") if p.name != "__init__.py")
    assert {p.stem for p in modules} >= {"common", "items", "ledger", "merge", "serve", "text"}
    offenders = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "tracker.cli":
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.level and node.module is None:
                offenders.append(f"{path.name}:{node.lineno}")  # ``from . import …``
            if isinstance(node, ast.Import) and any(a.name == "tracker.cli" for a in node.names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
