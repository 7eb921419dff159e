"""The layers hold: the data layer knows nothing of the UI (importing it, and the CLI,
loads no Textual), and only the store runs SQL on its connection."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


# ---------------------------------------------------------------------- the store owns its SQL
STORE_CONNECTION_KNOWN: dict[str, int] = {
    # To be emptied (issue #10): merge's SQL moves into store concept modules, search's
    # into the store's search index. Lower a count as uses go; never raise one.
    "merge/conflicts.py": 6,
    "merge/merging.py": 4,
    "services/search.py": 2,
}
"""Modules outside the store that still use the store's connection, and how often."""
_DB_USES = frozenset({"execute", "executemany", "executescript", "query", "conn", "table"})


def _owner(node: ast.expr) -> str:
    """The last name of what an attribute is read from: ``self.store`` → ``store``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def store_connection_uses(source: str) -> list[int]:
    """Lines where code outside the store reaches past it to its connection.

    Flags ``<…store>.db`` and ``<…store>.write()`` (a transaction opened for someone
    else's SQL), and ``<x>.db.execute`` / ``.query`` / ``.conn`` / ``<x>.db[…]`` on any
    object. Text in strings and comments (``台账.db``) is not code, so it never counts.
    """
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "db":
            parent = parents.get(node)
            used = (isinstance(parent, ast.Attribute) and parent.attr in _DB_USES) or (
                isinstance(parent, ast.Subscript) and parent.value is node
            )
            if used or _owner(node.value).endswith("store"):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "write"
            and _owner(node.func.value).endswith("store")
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_store_connection_use_is_recognised() -> None:
    source = (
        "a = store.db.execute('SELECT 1')\n"
        "b = self.store.db\n"
        "c = app.db['items']\n"
        "d = thing.db.query('SELECT 1')\n"
        "with store.write() as db:\n"
        "    db.execute('DELETE FROM items')\n"
        "e = settings.db  # a path: --db\n"
        "f = '台账.db.bak'\n"
        "g = store.items('x')\n"
    )
    assert store_connection_uses(source) == [1, 2, 3, 4, 5]


def test_only_the_store_uses_its_connection() -> None:
    """Other modules ask the store (a method of a concept in ``tracker.store``) instead
    of running SQL on ``store.db``: the SQL of each concept stays in one place, and a
    multi-statement change is one store method that owns its transaction. The modules
    still doing so are listed, with how often; any other use fails here."""
    import tracker

    package = Path(tracker.__file__).parent
    found: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name.startswith("store/"):
            continue
        uses = store_connection_uses(path.read_text(encoding="utf-8"))
        if uses:
            found[name] = len(uses)
            assert len(uses) <= STORE_CONNECTION_KNOWN.get(name, 0), (
                f"{name}:{uses} runs SQL on the store's connection: add a store method "
                "(tracker.store concept module) and call it instead"
            )
    stale = {
        name: found.get(name, 0)
        for name, count in STORE_CONNECTION_KNOWN.items()
        if found.get(name, 0) < count
    }
    assert stale == {}, f"fewer uses than listed: lower STORE_CONNECTION_KNOWN to {stale}"
