"""Hypothesis strategies for hostile plan and ledger files, and the property they must keep.

Shared by ``tests/test_file_fuzz.py`` (a few dozen examples, derandomised, in CI) and
``bench/fuzz_files.py`` (thousands). The property: reading a file from outside either
succeeds or is refused with the clerk's message — never another exception — and the
clerk's database is unchanged unless the file was accepted, and readable afterwards.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import tempfile
import zipfile
from contextlib import closing
from pathlib import Path
from xml.sax.saxutils import escape

import crafted
from hypothesis import strategies as st

from tracker.importers import read_plan
from tracker.importers.parser import PlanFormatError
from tracker.ledger import LedgerError, build_ledger, export_ledger, import_ledger
from tracker.store import Store

SUFFIXES = (".xlsx", ".docx", ".csv", ".txt")

# ---------------------------------------------------------------------- strategies
CELL_REFS = st.one_of(
    st.builds(
        lambda col, row: f"{crafted.column_letter(col)}{row}",
        st.integers(1, 16_384),
        st.integers(1, 1_048_576),
    ),
    st.builds(
        lambda col, row: f"{crafted.column_letter(col)}{row}",
        st.integers(1, 8),
        st.integers(1, 12),
    ),
    st.sampled_from(["A0", "XFE1", "", "1A", "A99999999", "$B$2", "ZZZZ1", "a1", "A-1"]),
)
CELL_TYPES = st.sampled_from(["s", "n", "str", "b", "e", "d", "inlineStr", "x", None])
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="<&\x00"), max_size=40
)


@st.composite
def cell_soup(draw: st.DrawFn) -> bytes:
    """A worksheet of random cells, types, values, merges and dimension."""
    parts = [f'<worksheet xmlns="{crafted.MAIN_NS}">']
    if draw(st.booleans()):
        parts.append(f'<dimension ref="{draw(CELL_REFS)}:{draw(CELL_REFS)}"/>')
    parts.append("<sheetData>")
    for _ in range(draw(st.integers(0, 6))):
        row = draw(st.one_of(st.none(), st.integers(-2, 1_048_600)))
        parts.append(f'<row r="{row}">' if row is not None else "<row>")
        for _ in range(draw(st.integers(0, 5))):
            ref = draw(st.one_of(st.none(), CELL_REFS))
            kind = draw(CELL_TYPES)
            attrs = (f' r="{ref}"' if ref is not None else "") + (f' t="{kind}"' if kind else "")
            value = draw(XML_TEXT)
            body = draw(
                st.sampled_from(
                    [
                        f"<v>{value}</v>",
                        f"<is><t>{value}</t></is>",
                        f"<f>{value}</f><v>{value}</v>",
                        f"<f>{value}</f>",
                        f'<f t="shared" si="{draw(st.integers(-1, 3))}"/>',
                        "",
                    ]
                )
            )
            parts.append(f"<c{attrs}>{body}</c>")
        parts.append("</row>")
    parts.append("</sheetData>")
    merges = draw(st.lists(st.tuples(CELL_REFS, CELL_REFS), max_size=4))
    if merges:
        parts.append("<mergeCells>")
        parts.extend(f'<mergeCell ref="{a}:{b}"/>' for a, b in merges)
        parts.append("</mergeCells>")
    parts.append("</worksheet>")
    return "".join(parts).encode("utf-8", "surrogatepass")


@st.composite
def mutated_zip(draw: st.DrawFn, base: bytes) -> bytes:
    """A zip (xlsx/docx) with one member damaged, replaced or removed."""
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = draw(st.sampled_from(sorted(members)))
    content = members[name]
    how = draw(
        st.sampled_from(
            ["truncate", "insert", "random", "drop", "soup", "dtd", "cells", "claims", "members"]
        )
    )
    sheet = "xl/worksheets/sheet1.xml"
    if how == "claims":  # a bomb: the directory lies about a member's size, up or down
        return crafted.claim_size(base, name, draw(st.integers(0, 2**32 - 1)))
    if how == "members":  # a bomb of zip members
        extra = draw(st.sampled_from([10, 1999, 2001]))
        members |= {f"media/{i}.bin": b"" for i in range(extra)}
    elif how == "cells" and sheet in members:
        members[sheet] = draw(edited_cells(members[sheet]))
    elif how == "truncate":
        members[name] = content[: draw(st.integers(0, max(len(content) - 1, 0)))]
    elif how == "insert":
        at = draw(st.integers(0, len(content)))
        members[name] = content[:at] + draw(st.binary(max_size=30)) + content[at:]
    elif how == "random":
        members[name] = draw(st.binary(max_size=200))
    elif how == "drop":
        del members[name]
    elif how == "soup":
        members["xl/worksheets/sheet1.xml"] = draw(cell_soup())
    else:
        members[name] = crafted.billion_laughs()
    return crafted.zip_bytes(members)


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)


@st.composite
def edited_cells(draw: st.DrawFn, sheet: bytes) -> bytes:
    """A valid sheet with a few cells rewritten: other text, a formula (with or without
    a cached value), an error value, or emptied — as a unit might return a ledger."""
    cells = list(_CELL.finditer(sheet))
    if not cells:
        return sheet
    chosen = {m.start(): m for m in draw(st.lists(st.sampled_from(cells), max_size=6))}
    out, at = [], 0
    for start in sorted(chosen):
        match = chosen[start]
        ref = match.group(1).decode()
        text = escape(draw(XML_TEXT))
        body = draw(
            st.sampled_from(
                [
                    f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>',
                    f'<c r="{ref}"><f>CONCAT("{text}")</f><v></v></c>',
                    f'<c r="{ref}" t="str"><f>CONCAT("{text}")</f><v>{text}</v></c>',
                    f'<c r="{ref}" t="e"><v>#N/A</v></c>',
                    f'<c r="{ref}" t="n"><v>{draw(st.floats(allow_nan=False))}</v></c>',
                    f'<c r="{ref}"/>',
                ]
            )
        )
        out += [sheet[at:start], body.encode()]
        at = match.end()
    out.append(sheet[at:])
    return b"".join(out)


@st.composite
def damaged_bytes(draw: st.DrawFn, base: bytes) -> bytes:
    """The whole file cut short, or a few of its bytes changed."""
    if draw(st.booleans()):
        return base[: draw(st.integers(0, len(base)))]
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def text_file(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=8))
    separator = draw(st.sampled_from([",", "\t", ";"]))
    text = "\n".join(separator.join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-be"]))
    prefix = "\ufeff" if encoding == "utf-16-be" else ""
    return (prefix + text).encode(encoding, "replace")


def hostile_files(bases: dict[str, bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(suffix, bytes): a base file (by its suffix) attacked one way or another, or
    random bytes, under its own or another suffix."""
    zips = [k for k in bases if k in (".xlsx", ".docx")]

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, bytes]:
        kind = draw(st.sampled_from(sorted(bases)))
        how = draw(st.sampled_from(["zip", "bytes", "text", "random", "as-is"]))
        if how == "zip" and kind in zips:
            data = draw(mutated_zip(bases[kind]))
        elif how == "bytes":
            data = draw(damaged_bytes(bases[kind]))
        elif how == "text":
            data = draw(text_file())
        elif how == "random":
            data = draw(st.binary(max_size=300))
        else:
            data = bases[kind]
        suffix = kind if draw(st.integers(0, 3)) else draw(st.sampled_from(SUFFIXES))
        return suffix, data

    return build()


# ---------------------------------------------------------------------- bases and property
def plan_bases() -> dict[str, bytes]:
    """A small valid plan in each format."""
    rows = crafted.plan_rows()
    return {
        ".xlsx": crafted.xlsx_bytes(),
        ".docx": crafted.docx_bytes(),
        ".csv": "\n".join(",".join(row) for row in rows).encode("utf-8"),
    }


def check_plan_file(folder: Path, suffix: str, data: bytes, template_db: Path) -> bool:
    """Read a plan file; if accepted, import it into a copy of the database.

    Returns:
        Whether the file was accepted.
    """
    path = folder / f"分工表{suffix}"
    path.write_bytes(data)
    try:
        plan = read_plan(path)
    except PlanFormatError as refused:
        assert str(refused) and "Traceback" not in str(refused)
        return False
    db = folder / "plan.db"
    shutil.copyfile(template_db, db)
    store = Store.open(db)
    try:
        store.import_plan(plan)
        assert_store_readable(store)
    finally:
        store.close()
    return True


def database_state(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def assert_store_readable(store: Store) -> None:
    for plan in store.plans():
        build_ledger(store, plan.id)
        store.filtered_items(plan.id)


def check_ledger_file(folder: Path, suffix: str, data: bytes, template_db: Path) -> bool:
    """Import a returned ledger into a copy of the database: refused changes nothing,
    and the database stays readable either way.

    Returns:
        Whether the file was accepted.
    """
    db = folder / "ledger.db"
    shutil.copyfile(template_db, db)
    before = database_state(db)
    path = folder / f"交回{suffix}"
    path.write_bytes(data)
    store = Store.open(db)
    try:
        try:
            import_ledger(store, path, "区发改局")
        except LedgerError as refused:
            assert str(refused)
            accepted = False
        else:
            accepted = True
        assert_store_readable(store)
    finally:
        store.close()
    if not accepted:
        assert database_state(db) == before
    return accepted


def ledger_template(folder: Path, seed_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A database holding the seed plan, and its ledger as xlsx and csv (the bases)."""
    from tracker.importers.parser import read_plan_file

    db = folder / "template.db"
    store = Store.open(db)
    try:
        store.import_plan(read_plan_file(seed_path))
        plan_id = store.plans()[0].id
        unit = store.unit("区发改局")
        assert unit is not None
        xlsx = export_ledger(store, plan_id, folder / "base.xlsx", unit_id=unit.id)
        csv = export_ledger(store, plan_id, folder / "base.csv", unit_id=unit.id)
    finally:
        store.close()
    return db, {".xlsx": xlsx.read_bytes(), ".csv": csv.read_bytes()}


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="tracker-fuzz-"))
