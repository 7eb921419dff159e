"""Hostile plan and ledger files, built byte by byte.

Used by ``test_file_trust.py`` (each attack of issue 14 on the file side), the fuzz
harness ``test_file_fuzz.py`` and ``bench/fuzz_files.py``. ``python tests/crafted.py``
rewrites the small regression fixtures in ``tests/fixtures/hostile/`` (each a file that
once broke the importer: a traceback, gigabytes of memory or a wrong message).
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

HOSTILE_DIR = Path(__file__).parent / "fixtures" / "hostile"

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)

TITLE = "2023年全区政务公开工作要点分工表"
HEADER = ["工作任务", "重点工作任务", "具体内容", "责任单位", "完成时限"]
ROWS = [
    [
        "一、加大主动公开力度",
        "（一）公开重大项目",
        "公开重大建设项目批准信息",
        "区发改局",
        "6月底前",
    ],
    ["", "", "公开项目招标投标信息", "区发改局", "及时公开"],
]


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook_xml(sheet_name: str = "Sheet1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        f'<sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()


def sheet_xml(
    rows: Sequence[Sequence[str]],
    merges: Iterable[str] = (),
    dimension: str | None = None,
    first_row: int = 1,
) -> bytes:
    """A worksheet of inline strings, row ``first_row`` onwards."""
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
    ]
    if dimension:
        parts.append(f'<dimension ref="{dimension}"/>')
    parts.append("<sheetData>")
    for r, row in enumerate(rows, start=first_row):
        parts.append(f'<row r="{r}">')
        for c, text in enumerate(row, start=1):
            if text:
                parts.append(
                    f'<c r="{column_letter(c)}{r}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
                )
        parts.append("</row>")
    parts.append("</sheetData>")
    merges = list(merges)
    if merges:
        parts.append(f'<mergeCells count="{len(merges)}">')
        parts.extend(f'<mergeCell ref="{m}"/>' for m in merges)
        parts.append("</mergeCells>")
    parts.append("</worksheet>")
    return "".join(parts).encode()


def plan_rows() -> list[list[str]]:
    return [[TITLE], HEADER, *ROWS]


def xlsx_bytes(sheet: bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook (what openpyxl needs and no more) with one sheet."""
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook_xml(),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else sheet_xml(plan_rows()),
        **(extra or {}),
    }
    return zip_bytes(members)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """The zip ``data`` with member ``name`` replaced (or added)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[name] = content
    return zip_bytes(members)


def docx_bytes(rows: Sequence[Sequence[str]] | None = None, paragraph: str = TITLE) -> bytes:
    """A Word document (python-docx) with a title paragraph and a table (none if
    ``rows`` is empty)."""
    import docx

    document = docx.Document()
    document.add_paragraph(paragraph)
    rows = rows if rows is not None else [HEADER, *ROWS]
    if rows:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ole_bytes(stream: str) -> bytes:
    """The start of an OLE compound file whose directory names ``stream``."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    entry = stream.encode("utf-16-le") + b"\0\0"
    return header + entry.ljust(128, b"\0") + b"\0" * 384


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE worksheet [' + "".join(entities) + "]>"
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
    ).encode()


def zip_bomb(path: Path, uncompressed: int, name: str = "xl/worksheets/sheet1.xml") -> Path:
    """An .xlsx whose sheet inflates to ``uncompressed`` bytes (written in chunks)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"):
            archive.writestr(member, xlsx_member(member))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open(name, "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            left = uncompressed
            while left > 0:
                sheet.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return path


def xlsx_member(name: str) -> bytes:
    return {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook_xml(),
    }[name]


def many_members(count: int) -> bytes:
    extra = {f"xl/media/image{i}.png": b"" for i in range(count)}
    return xlsx_bytes(extra=extra)


def utf16_tab_text(rows: Sequence[Sequence[str]]) -> bytes:
    """Excel's 「Unicode 文本」: tab-separated UTF-16LE with a byte-order mark, CRLF."""
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    return text.encode("utf-16")  # native order with BOM, as Excel on Windows (LE)


# ---------------------------------------------------------------------- regression fixtures
def fixtures() -> dict[str, bytes]:
    """The regression fixtures: name → bytes (each under 10 KB)."""
    plan = xlsx_bytes()
    sheet = sheet_xml(plan_rows())
    return {
        # 6 GB and MemoryError after 63 s: openpyxl made a cell for each merged cell.
        "merged-a3-xfd1048576.xlsx": xlsx_bytes(
            sheet_xml(plan_rows(), merges=["A1:E1", "A3:XFD1048576"])
        ),
        # read-only openpyxl pads every row to the declared dimension.
        "dimension-xfd1048576.xlsx": xlsx_bytes(sheet_xml(plan_rows(), dimension="A1:XFD1048576")),
        # a traceback (ParseError) instead of a reason.
        "truncated-sheet.xlsx": xlsx_bytes(sheet[: len(sheet) // 2]),
        # 「无法读取…：None」.
        "word-named.xlsx": docx_bytes(),
        "excel-named.docx": plan,
        "old-word-named.xlsx": ole_bytes("WordDocument"),
        "password-protected.xlsx": ole_bytes("EncryptedPackage"),
        "pdf-named.docx": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "billion-laughs.xlsx": xlsx_bytes(billion_laughs()),
        "value-in-last-row.xlsx": xlsx_bytes(
            sheet_xml(plan_rows())[: -len(b"</sheetData></worksheet>")]
            + b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            + b"</sheetData></worksheet>"
        ),
        # Excel's 「Unicode 文本」 was refused as neither UTF-8 nor GBK.
        "unicode-text.csv": utf16_tab_text(plan_rows()),
    }


def write_fixtures(folder: Path = HOSTILE_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in fixtures().items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_fixtures(Path(sys.argv[1]) if len(sys.argv) > 1 else HOSTILE_DIR):
        print(f"{path.stat().st_size:>7}  {path}")


# ---------------------------------------------------------------------- measuring
_MEASURED = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    with open(os.environ["TRACKER_PEAK_FILE"], "w") as out:
        out.write(peak)

atexit.register(report)
sys.argv = ["tracker", *sys.argv[1:]]
runpy.run_module("tracker", run_name="__main__", alter_sys=True)
"""


def run_tracker_measured(*args: str) -> tuple[float, int, str]:
    """Run ``tracker ARGS`` in a child process: its wall seconds, its peak resident
    memory in bytes and its output.

    The peak is the child's own ``VmHWM`` (Linux), read as it exits: ``ru_maxrss`` of a
    child would include the parent's memory at fork time.
    """
    import os
    import subprocess
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        env = {**os.environ, "TRACKER_PEAK_FILE": str(peak_file)}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        seconds = time.perf_counter() - started
        peak = int(peak_file.read_text()) * 1024
    return seconds, peak, done.stdout + done.stderr


def lying_sizes(path: Path, member: str, claimed: int) -> Path:
    """Make the zip directory claim ``member`` inflates to ``claimed`` bytes (a bomb
    that hides its size): the zip reader must never return more than that."""
    path.write_bytes(claim_size(path.read_bytes(), member, claimed))
    return path


def claim_size(data: bytes, member: str, claimed: int) -> bytes:
    """The zip ``data`` with its directory claiming ``member`` is ``claimed`` bytes."""
    import struct

    out = bytearray(data)
    name = member.encode()
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + length] == name:
            struct.pack_into("<I", out, at + 24, claimed)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)
