"""Look inside a file from outside before any library reads it, and refuse what would hurt.

Plans and returned ledgers come from anywhere: e-mail, USB sticks, other systems. Before
python-docx or openpyxl touch a file, this module

- tells what the file really is from its bytes (a zip's members, the OLE header of an
  old .doc/.xls, ``%PDF``, …), so a Word file named ``.xlsx`` gets
  「这是一个 Word 文件，扩展名却是 .xlsx」 instead of a library's error;
- checks the zip directory (number of members, total size once uncompressed) — the zip
  reader never returns more than a member's declared size, so the declared sizes bound
  what any library can inflate;
- streams every XML part once through expat, with no tree kept: a truncated or damaged
  part, a DTD (Office files never have one), too many elements, too many rows or columns
  in a sheet are refused here with a reason; the sheets' real extent (the last row and
  column holding a value) and merged ranges clipped to it are returned, so a merged
  range like ``A3:XFD1048576`` costs nothing.

Refusals are :class:`FileRefused` with the clerk's reason; limits say
「文件过大：…（上限 …）」. Peak memory for a refused file is the zip directory and one
read buffer.
"""

from __future__ import annotations

import codecs
import contextlib
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from tracker.errors import BadFile
from tracker.importers.parser import decode_plan_bytes

MB = 1024 * 1024

MAX_FILE_BYTES = 100 * MB
"""The largest .docx/.xlsx file on disk."""
MAX_TEXT_BYTES = 10 * MB
"""The largest .csv/.txt file."""
MAX_TEXT_LINES = 100_000
"""The most lines in a .csv/.txt file (the text dump of a 47-item plan has 337)."""
MAX_PARAGRAPHS = 50_000
"""The most paragraphs read from a Word document (a list-style plan has hundreds)."""
MAX_ZIP_ENTRIES = 2000
"""The most members a .docx/.xlsx may hold (a real one has 10–50; a few hundred with images)."""
MAX_UNCOMPRESSED = 100 * MB
"""The most a .docx/.xlsx may hold once uncompressed, all members together."""
MAX_XML_ELEMENTS = 1_000_000
"""The most XML elements in a .docx/.xlsx, all parts together (a 500-row plan has ~100 000)."""
MAX_ROWS = 20_000
"""The most rows in a worksheet, a Word table or a CSV file (a plan has tens to hundreds)."""
MAX_COLUMNS = 100
"""The most columns holding a value in a worksheet (a plan has 4–10)."""
MAX_CELLS = 1_000_000
"""The most cells in a worksheet's extent (its rows times its columns)."""
MAX_MERGED_RANGES = 50_000
"""The most merged ranges in one worksheet."""
MAX_SHARED_STRINGS = 500_000
"""The most distinct texts in a workbook (openpyxl keeps them all in memory)."""
_CHUNK = 256 * 1024


class FileRefused(BadFile, ValueError):
    """A file is not read: too large, damaged, or not what its name says.

    Attributes:
        reason: What was found, in Chinese, for the clerk.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def size_label(n: float) -> str:
    """A byte count as clerks read it: ``2.0 GB``, ``350 KB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def too_large(what: str, found: str, limit: str) -> FileRefused:
    """The refusal for a limit: ``文件过大：<what>（<found>，上限 <limit>）``."""
    return FileRefused(f"文件过大：{what}（{found}，上限 {limit}）")


# ---------------------------------------------------------------------- what a file is
WORD = "Word 文件"
EXCEL = "Excel 文件"
_KINDS_BY_MEMBER = (
    ("word/document.xml", WORD),
    ("xl/workbook.xml", EXCEL),
    ("ppt/presentation.xml", "PowerPoint 文件"),
)
_ODF = {
    b"application/vnd.oasis.opendocument.text": "OpenDocument 文本（.odt）",
    b"application/vnd.oasis.opendocument.spreadsheet": "OpenDocument 表格（.ods）",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_OLE_STREAMS = (
    ("EncryptedPackage", "设有打开密码的 Office 文件"),
    ("WordDocument", "旧版 Word 文件（.doc）"),
    ("Workbook", "旧版 Excel 文件（.xls）"),
    ("Book", "旧版 Excel 文件（.xls）"),
)
_MAGIC = (
    (b"%PDF", "PDF 文件"),
    (b"{\\rtf", "RTF 文件"),
    (b"\x89PNG", "图片（PNG）"),
    (b"\xff\xd8\xff", "图片（JPEG）"),
    (b"Rar!", "rar 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"SQLite format 3\0", "tracker 数据库或其他 SQLite 数据库"),
)


def identify(path: Path) -> str | None:
    """What the file is by its content, in words for the clerk (None: plain text or unknown).

    A zip is named by its members (a Word, Excel or PowerPoint file, OpenDocument, or a
    plain zip); an OLE file by its streams (old .doc/.xls, or an Office file with a
    password); other kinds by their first bytes.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(path)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(path)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<html", b"<!doc", b"<?xml", b"<table", b"mime-v")):
        return "网页（HTML/XML）文件"
    return None


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member, kind in _KINDS_BY_MEMBER:
                if member in names:
                    return kind
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                return _ODF.get(archive.read("mimetype").strip(), "OpenDocument 文件")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError):
        return "已损坏的 zip 文件（可能未完整下载）"
    return "zip 压缩包"


def _ole_kind(path: Path) -> str:
    # The directory's stream names are UTF-16; it usually sits near the start or the end.
    size = path.stat().st_size
    with open(path, "rb") as handle:
        data = handle.read(4 * MB)
        if size > 8 * MB:
            handle.seek(size - 4 * MB)
            data += handle.read()
    for stream, kind in _OLE_STREAMS:
        if stream.encode("utf-16-le") + b"\0\0" in data:
            return kind
    return "旧版 Office 文件（.doc/.xls/.wps/.et）"


def mislabelled(
    path: Path, kind: str | None, expected: str, accepted: tuple[str, ...] = (WORD, EXCEL)
) -> FileRefused:
    """The refusal for a file whose content is not what its extension says.

    Args:
        path: The file.
        kind: What it is (:func:`identify`).
        expected: The extension its name promises (``.xlsx``).
        accepted: The kinds the caller would read under the right name: for those the
            advice is to rename the file.
    """
    suffix = path.suffix or "（无扩展名）"
    found = kind or "文本文件或未知格式的文件"
    if kind in accepted:
        advice = f"请把扩展名改为 {'.docx' if kind == WORD else '.xlsx'} 后再导入"
    elif kind and ("旧版" in kind or "OpenDocument" in kind or "RTF" in kind or "HTML" in kind):
        advice = f"请在 Word/WPS/Excel 中打开并另存为 {expected} 后再导入"
    elif kind and "密码" in kind:
        advice = "请在 Word/WPS/Excel 中取消打开密码并另存后再导入"
    else:
        advice = f"无法作为 {expected} 文件导入"
    space = " " if found.isascii() or found[0].isascii() else ""
    return FileRefused(f"这是一个{space}{found}，扩展名却是 {suffix}；{advice}")


# ---------------------------------------------------------------------- zip files
def open_office_zip(
    path: Path, expected: str, accepted: tuple[str, ...] = (WORD, EXCEL)
) -> zipfile.ZipFile:
    """Open a .docx/.xlsx after checking what it is and the limits of its zip directory.

    Args:
        path: The file.
        expected: :data:`WORD` or :data:`EXCEL`.
        accepted: See :func:`mislabelled`.

    Raises:
        FileRefused: another kind of file, a damaged zip, or one over the limits.
        OSError: the file cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise too_large("文件大小", size_label(size), size_label(MAX_FILE_BYTES))
    kind = identify(path)
    if kind != expected:
        raise mislabelled(path, kind, ".docx" if expected == WORD else ".xlsx", accepted)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise damaged(error) from error
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        archive.close()
        raise too_large("压缩包内的文件数", f"{len(infos)} 个", f"{MAX_ZIP_ENTRIES} 个")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        archive.close()
        raise too_large("解压后的大小", size_label(total), size_label(MAX_UNCOMPRESSED))
    return archive


def damaged(error: BaseException) -> FileRefused:
    """The refusal for a file that breaks while being read."""
    return FileRefused(
        "文件已损坏或不完整（可能未完整下载或复制），"
        f"请用 Word/WPS/Excel 打开后重新保存再导入（{type(error).__name__}）"
    )


# ---------------------------------------------------------------------- XML parts
class _Budget:
    """Elements counted over all XML parts of one file."""

    def __init__(self) -> None:
        self.elements = 0

    def count(self) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise too_large("XML 元素", f"超过 {MAX_XML_ELEMENTS} 个", f"{MAX_XML_ELEMENTS} 个")


def _no_dtd(*_args: object) -> None:
    raise FileRefused("文件中含有 DTD 声明（Office 文件不会有），可能是恶意构造的文件，未读取")


def _stream_xml(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: _Budget,
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    where: str = "",
) -> None:
    """Parse one XML member with expat, keeping nothing; callbacks get local names."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd

    def on_start(name: str, attrs: dict[str, str]) -> None:
        budget.count()
        if start is not None:
            start(name.rpartition("}")[2], attrs)

    parser.StartElementHandler = on_start
    if end is not None:
        parser.EndElementHandler = lambda name: end(name.rpartition("}")[2])
    if text is not None:
        parser.CharacterDataHandler = text
    part = where or f"「{info.filename[:60]}」"
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        detail = expat.errors.messages[error.code]
        raise FileRefused(
            f"{part}的内容不完整或已损坏（XML 第 {error.lineno} 行：{detail}），"
            "文件可能未完整下载；请用 Excel/WPS/Word 打开后重新保存再导入"
        ) from error
    except FileRefused:
        raise  # from a callback: a limit
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise damaged(error) from error


def _is_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a member is XML: by its name, or by an XML declaration at its start
    (a library picks parts by content type, which the file itself declares)."""
    if info.filename.lower().endswith((".xml", ".rels", ".vml")):
        return True
    try:
        with archive.open(info) as stream:
            head = stream.read(64)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise damaged(error) from error
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")


def vet_docx(path: Path) -> None:
    """Check a .docx before python-docx reads it.

    Raises:
        FileRefused: not a Word file, damaged, or over a limit.
        OSError: the file cannot be read.
    """
    with open_office_zip(path, WORD) as archive:
        budget = _Budget()
        for info in archive.infolist():
            if _is_xml(archive, info):
                _stream_xml(archive, info, budget)


# ---------------------------------------------------------------------- workbooks
@dataclass
class SheetExtent:
    """What a worksheet part holds, from one streaming pass."""

    part: str
    """The member's name in the zip (``xl/worksheets/sheet1.xml``)."""
    max_row: int = 0
    """The last row holding a value (0: none)."""
    max_col: int = 0
    """The last column holding a value (0: none)."""
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Merged ranges as (min_row, min_col, max_row, max_col), clipped to the extent;
    ranges wholly outside it are dropped."""
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    """Cells holding a formula, by (row, column): the formula (its first 80 characters,
    ``=`` alone for a cell sharing another cell's formula)."""


def _cell_ref(ref: str) -> tuple[int, int]:
    """``B12`` → (12, 2); ValueError for anything else."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not letters or not digits or len(letters) > 3 or not letters.isalpha():
        raise ValueError(ref)
    col = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(ref)
        col = col * 26 + ord(ch) - 64
    return int(digits), col


class _SheetScan:
    """expat callbacks collecting a sheet's extent, merged ranges and formula cells.

    Cells are placed as openpyxl places them (``openpyxl.worksheet._reader``): by the
    cell's own reference, else one column right of the previous cell in the row
    numbered by the ``<row>`` element (or one below the previous row).
    """

    def __init__(self, part: str, name: str) -> None:
        self.extent = SheetExtent(part)
        self.name = name
        self.raw_merges: list[tuple[int, int, int, int]] = []
        self.row_counter = 0
        self.col_counter = 0
        self.cell = (0, 0)
        self.in_value = False
        self.has_value = False
        self.formula: list[str] | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            self.row_counter = _int(attrs.get("r"), self.row_counter + 1)
            self.col_counter = 0
        elif tag == "c":
            ref = attrs.get("r")
            if ref:
                self.cell = _parse_ref(ref, self.name)
                self.col_counter = self.cell[1]
            else:
                self.col_counter += 1
                self.cell = (self.row_counter, self.col_counter)
            self.has_value = False
            self.formula = None
        elif tag in ("v", "t"):
            self.in_value = True
        elif tag == "f":
            self.has_value = True
            self.formula = []
        elif tag == "mergeCell":
            ref = attrs.get("ref", "")
            first, _, last = ref.partition(":")
            top, left = _parse_ref(first, self.name)
            bottom, right = _parse_ref(last, self.name) if last else (top, left)
            self.raw_merges.append((top, left, bottom, right))
            if len(self.raw_merges) > MAX_MERGED_RANGES:
                raise too_large(
                    f"工作表「{self.name}」的合并单元格",
                    f"超过 {MAX_MERGED_RANGES} 处",
                    f"{MAX_MERGED_RANGES} 处",
                )

    def text(self, data: str) -> None:
        if self.formula is not None and self.cell not in self.extent.formulas:
            if sum(map(len, self.formula)) < 80:
                self.formula.append(data)
        elif self.in_value and data.strip():
            self.has_value = True

    def end(self, tag: str) -> None:
        if tag in ("v", "t"):
            self.in_value = False
        elif tag == "f" and self.formula is not None:
            self.extent.formulas[self.cell] = "=" + "".join(self.formula)
        elif tag == "c" and self.has_value:
            row, col = self.cell
            if row > MAX_ROWS:
                raise too_large(
                    f"工作表「{self.name}」的行数", f"超过 {MAX_ROWS} 行", f"{MAX_ROWS} 行"
                )
            if col > MAX_COLUMNS:
                raise too_large(
                    f"工作表「{self.name}」的列数", f"第 {col} 列有内容", f"{MAX_COLUMNS} 列"
                )
            self.extent.max_row = max(self.extent.max_row, row)
            self.extent.max_col = max(self.extent.max_col, col)

    def result(self) -> SheetExtent:
        last_row, last_col = self.extent.max_row, self.extent.max_col
        area = last_row * last_col
        if area > MAX_CELLS:
            raise too_large(
                f"工作表「{self.name}」的范围",
                f"{last_row} 行 × {last_col} 列",
                f"{MAX_CELLS} 个单元格",
            )
        covered = 0
        for top, left, bottom, right in self.raw_merges:
            top, bottom = min(top, bottom), max(top, bottom)
            left, right = min(left, right), max(left, right)
            if top > last_row or left > last_col:
                continue  # beyond the last value: merges nothing that is read
            bottom, right = min(bottom, last_row), min(right, last_col)
            covered += (bottom - top + 1) * (right - left + 1)
            self.extent.merged.append((top, left, bottom, right))
        # Merged ranges never overlap in a sheet Excel wrote; overlapping ones could make
        # the reader visit each cell many times.
        if covered > area:
            raise FileRefused(f"工作表「{self.name}」的合并单元格互相重叠，文件已损坏")
        return self.extent


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _parse_ref(ref: str, sheet: str) -> tuple[int, int]:
    try:
        row, col = _cell_ref(ref.replace("$", ""))
    except ValueError:
        raise FileRefused(
            f"工作表「{sheet}」中有无效的单元格位置「{ref[:20]}」，文件已损坏"
        ) from None
    if not (1 <= row <= 1_048_576 and 1 <= col <= 16_384):
        raise FileRefused(
            f"工作表「{sheet}」中的单元格位置「{ref[:20]}」超出 Excel 的范围，文件已损坏"
        )
    return row, col


def vet_xlsx(path: Path, accepted: tuple[str, ...] = (WORD, EXCEL)) -> dict[str, SheetExtent]:
    """Check an .xlsx before openpyxl reads it, and measure its sheets.

    Returns:
        Each worksheet part's extent and merged ranges, by its name in the zip.

    Raises:
        FileRefused: not an Excel file, damaged, or over a limit.
        OSError: the file cannot be read.
    """
    with open_office_zip(path, EXCEL, accepted) as archive:
        budget = _Budget()
        names = _sheet_names(archive, budget)
        sheets: dict[str, SheetExtent] = {}
        for info in archive.infolist():
            if not _is_xml(archive, info):
                continue
            member = info.filename
            if member in names or (member.startswith("xl/worksheets/") and member.count("/") == 2):
                scan = _SheetScan(member, names.get(member, member.rpartition("/")[2]))
                _stream_xml(
                    archive,
                    info,
                    budget,
                    scan.start,
                    scan.end,
                    scan.text,
                    where=f"工作表「{scan.name}」",
                )
                sheets[member] = scan.result()
            elif member.lower().startswith("xl/sharedstrings"):
                strings = [0]

                def count(tag: str, _attrs: dict[str, str], strings: list[int] = strings) -> None:
                    if tag == "si":
                        strings[0] += 1
                        if strings[0] > MAX_SHARED_STRINGS:
                            raise too_large(
                                "不同文字的单元格",
                                f"超过 {MAX_SHARED_STRINGS} 个",
                                f"{MAX_SHARED_STRINGS} 个",
                            )

                _stream_xml(archive, info, budget, count)
            elif member not in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                _stream_xml(archive, info, budget)
        return sheets


def _sheet_names(archive: zipfile.ZipFile, budget: _Budget) -> dict[str, str]:
    """Worksheet part → the sheet's name, from workbook.xml and its relationships."""
    ids: dict[str, str] = {}
    targets: dict[str, str] = {}

    def sheet(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.endswith("}id")), "")
            ids[rid] = attrs.get("name", "")

    def rel(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship":
            target = attrs.get("Target", "")
            # As openpyxl resolves it (openpyxl.packaging.relationship.get_dependents).
            resolved = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            targets[attrs.get("Id", "")] = posixpath.normpath(resolved)

    for member, callback, where in (
        ("xl/workbook.xml", sheet, "工作簿目录（xl/workbook.xml）"),
        ("xl/_rels/workbook.xml.rels", rel, "工作簿目录（workbook.xml.rels）"),
    ):
        try:
            info = archive.getinfo(member)
        except KeyError:
            continue
        _stream_xml(archive, info, budget, callback, where=where)
    return {targets[rid]: name for rid, name in ids.items() if rid in targets}


# ---------------------------------------------------------------------- text files
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text(path: Path, expected: str, accepted: tuple[str, ...] = (WORD, EXCEL)) -> str:
    """A .csv/.txt file's text: UTF-16 with a byte-order mark (Excel's 「Unicode 文本」),
    else UTF-8 (with or without BOM), else GB18030.

    Args:
        path: The file.
        expected: Its extension as it should be (for the message about a mislabelled file).
        accepted: See :func:`mislabelled`.

    Raises:
        FileRefused: too large (bytes or lines), or a binary file (Word, Excel, PDF, …)
            named as text.
        PlanFormatError: in none of the encodings.
        OSError: the file cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise too_large("文件大小", size_label(size), size_label(MAX_TEXT_BYTES))
    kind = identify(path)
    if kind is not None:
        raise mislabelled(path, kind, expected, accepted)
    raw = path.read_bytes()
    text = None
    if raw.startswith(_UTF16_BOMS):
        with contextlib.suppress(UnicodeDecodeError):  # else not UTF-16: try the others
            text = raw.decode("utf-16")
    if text is None:
        text = decode_plan_bytes(raw)
    lines = max(text.count("\n"), text.count("\r"))
    if lines > MAX_TEXT_LINES:
        raise too_large("文本的行数", f"{lines} 行", f"{MAX_TEXT_LINES} 行")
    return text
