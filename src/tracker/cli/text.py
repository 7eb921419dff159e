"""What the command line prints: click's own messages in Chinese, data made safe to
print, tables aligned by display width, and suggestions for a mistyped unit.

Every command prints through :func:`echo`, which shows control characters from data
(a note, a unit, a machine or file name from a snapshot) as visible stand-ins
(:func:`tracker.ui.labels.printable`), so an escape sequence in them never reaches the
terminal, even when the output is piped.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.cells import cell_len, set_cell_size

from tracker.ui.labels import printable

if TYPE_CHECKING:
    from tracker.store import Store, UnitRecord

# ---------------------------------------------------------------------- click in Chinese

_CLICK_ZH: dict[str, str] = {
    # Help pages
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出",
    "Show the version and exit.": "显示版本号并退出",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    # Usage errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "可用「{command} {option}」查看帮助。",
    "Aborted!": "已中止。",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令「{name}」。",
    "No such option {name!r}.": "没有选项「{name}」。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Option {name!r} does not take a value.": "选项「{name}」不带值。",
    "Argument {name!r} takes {nargs} values.": "参数「{name}」需要 {nargs} 个值。",
    "Value must be an iterable.": "值应为多个。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」：{message}",
    # Parameter types (the file/folder word is fixed when the option is declared, so
    # these messages leave it out)
    "{name} {filename!r} does not exist.": "「{filename}」不存在。",
    "{name} {filename!r} is a file.": "「{filename}」是文件，应为文件夹。",
    "{name} {filename!r} is a directory.": "「{filename}」是文件夹，应为文件。",
    "{name} {filename!r} is not readable.": "「{filename}」不可读。",
    "{name} {filename!r} is not writable.": "「{filename}」不可写。",
    "{name} {filename!r} is not executable.": "「{filename}」不可执行。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} is not a valid {number_type}.": "「{value}」不是有效的数字。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "「{value}」不是有效的是/否值；可用：{states}"
    ),
    "{value!r} is not a valid UUID.": "「{value}」不是有效的 UUID。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
}
"""click's messages (the gettext ids in click's source) and their Chinese."""

_CLICK_ZH_PLURAL: dict[str, tuple[str, str]] = {
    "Got unexpected extra argument ({args})": ("多余的参数（{args}）", "多余的参数（{args}）"),
    "Did you mean {possibility}?": (
        "是否指：{possibility}？",
        "（是否指以下之一：{possibilities}？）",
    ),
    "Option {name!r} requires an argument.": (
        "选项「{name}」需要一个值。",
        "选项「{name}」需要 {nargs} 个值。",
    ),
    "{value!r} is not {choice}.": (
        "「{value}」不是 {choice}。",
        "「{value}」不是 {choices} 之一。",
    ),
    "{value!r} does not match the format {format}.": (
        "「{value}」不符合格式 {format}。",
        "「{value}」不符合格式 {formats}。",
    ),
    "Takes {nargs} values but 1 was given.": (
        "需要 {nargs} 个值，只给了 1 个。",
        "需要 {nargs} 个值，给了 {len} 个。",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。",
        "需要 {len_type} 个值，给了 {len_value} 个。",
    ),
}
"""click's plural messages by their singular id: (singular, plural) in Chinese."""

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")


def _click_gettext(message: str) -> str:
    return _CLICK_ZH.get(message, message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    zh = _CLICK_ZH_PLURAL.get(singular)
    if zh is None:
        return singular if n == 1 else plural
    return zh[0] if n == 1 else zh[1]


def use_chinese_click() -> None:
    """Make click's own messages (usage errors, help headings, ``--help``'s text) Chinese.

    click looks each message up through the ``_`` and ``ngettext`` names its modules
    import from :mod:`gettext`; those names are pointed at the catalog above. That
    is what gettext would do with a compiled catalog, without depending on the
    clerk's ``LANG`` (the office PCs' terminals often run in ``C.UTF-8``) or changing
    the process-wide gettext domain. Messages not in the catalog stay English.
    Called when the ``tracker`` command starts; calling it again changes nothing.
    """
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


class CellWidthHelpFormatter(click.HelpFormatter):
    """click's help layout, measured in terminal cells: a Han character takes two, so
    Chinese option help wraps at the terminal's edge and the columns line up."""

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_width = min(max((cell_len(first) for first, _ in rows), default=0), col_max)
        first_col = first_width + col_spacing
        text_width = max(self.width - self.current_indent - first_col, 10)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_width:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_cells(second, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


_TOKENS = re.compile(r"\s+|[!-~]+|.", re.DOTALL)
_NO_LINE_START = set("，。、；：？！）」』》〉】,.;:?!)")


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells. Latin words stay whole; Chinese breaks between
    any two characters, but never before closing punctuation (，。、；）」).
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for token in _TOKENS.findall(paragraph):
            size = cell_len(token)
            if token.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            if used + size > width and line.strip() and token[0] not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return lines


class TrackerContext(click.Context):
    """The commands' context: help laid out by :class:`CellWidthHelpFormatter`."""

    formatter_class = CellWidthHelpFormatter


class DateParam(click.ParamType):
    """A day written YYYY-MM-DD, refused in Chinese otherwise."""

    name = "日期"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value.date() if isinstance(value, datetime) else value
        try:
            return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"「{value}」不是日期，应写成 YYYY-MM-DD（如 2023-08-25）", param, ctx)


# ---------------------------------------------------------------------- printing data


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print a line made (in part) of data, its control characters shown, not executed.

    Every command prints through this, to stdout or (``err``) stderr.
    """
    click.echo(printable(str(message)), err=err, nl=nl)


def one_line(text: str | None) -> str:
    """A field for one line of output: whitespace runs (newlines too) as one space,
    control characters shown."""
    # Shown first: str.split() would take NEL (0x85) and the C0 separators for spaces.
    return " ".join(printable(text or "").split())


def _output_width() -> int | None:
    """The terminal's width when printing to one; None (no limit) into a pipe or file."""
    try:
        if sys.stdout.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    right: Iterable[int] = (),
    width: int | None = None,
) -> str:
    """Rows as aligned columns under a header line, aligned by display width (a Han
    character takes two cells), every cell on one line with its control characters shown.

    Measured and cut with rich's cell functions; rich's ``Table`` lays out the same but
    takes about 2 ms a row (20 s for the 10,000 items of a large plan).

    Args:
        headers: The column titles.
        rows: The cells, converted with ``str``.
        right: Indexes of right-aligned (numeric) columns.
        width: Fit into this many cells, cutting the last column with an ellipsis;
            default the terminal's width on a terminal, no limit into a pipe.
    """
    width = width if width is not None else _output_width()
    right = set(right)
    lines = [list(headers), *([one_line(str(cell)) for cell in row] for row in rows)]
    widths = [max(cell_len(line[index]) for line in lines) for index in range(len(headers))]
    # Only the last column (the long text) gives way on a narrow terminal.
    room = None
    if width is not None:
        room = max(width - sum(w + GAP for w in widths[:-1]), 8)
    out = []
    for line in lines:
        cells = []
        for index, cell in enumerate(line):
            if index == len(line) - 1:
                if room is not None and cell_len(cell) > room:
                    # Every character takes at least one cell: cut before measuring.
                    cell = set_cell_size(cell[:room], room - 1).rstrip() + "…"
                cells.append(cell)
                continue
            padding = " " * (widths[index] - cell_len(cell))
            cells.append(padding + cell if index in right else cell + padding)
        out.append((" " * GAP).join(cells).rstrip())
    return "\n".join(out)


GAP = 2
"""Cells between two columns."""


_C1_AND_DEL = re.compile("[\x7f-\x9f]")


def json_safe(text: str) -> str:
    """JSON text with DEL and the C1 controls written as ``\\u`` escapes.

    ``json.dumps(..., ensure_ascii=False)`` already escapes C0 (ESC included) but
    writes DEL and C1 (the one-byte CSI 0x9b) raw; escaped, they are the same JSON
    string for a script and harmless in a terminal.
    """
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# ---------------------------------------------------------------------- units


def _pinyin(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [syllable.lower() for syllable in lazy_pinyin(text)]


def _contains_run(whole: list[str], part: list[str]) -> bool:
    return bool(part) and any(
        whole[start : start + len(part)] == part for start in range(len(whole) - len(part) + 1)
    )


def unit_suggestions(names: Iterable[str], query: str, limit: int = 5) -> list[str]:
    """Units a mistyped name probably meant: by substring either way (发改局 → 区发改局),
    then by sound (发该局 → 区发改局: the same pinyin) or typed initials (fgj).

    Args:
        names: The units' names.
        query: What the clerk typed.
        limit: At most this many suggestions.
    """
    from tracker.domain.units import matches_initials

    query = "".join(query.split())
    if not query:
        return []
    names = list(dict.fromkeys(names))
    by_text = [n for n in names if query in n or (len(n) >= 2 and n in query)]
    by_sound = []
    latin = query.isascii() and query.isalpha()
    sound = _pinyin(query.removeprefix("区"))
    for name in names:
        if name in by_text:
            continue
        if latin:
            if matches_initials(name, query) or query.lower() in "".join(_pinyin(name)):
                by_sound.append(name)
        elif _contains_run(_pinyin(name), sound):
            by_sound.append(name)
    by_text.sort(key=len)
    by_sound.sort(key=len)
    return (by_text + by_sound)[:limit]


def unknown_unit_message(store: Store, name: str) -> str:
    """``未找到单位「发改局」，是否指：区发改局``, or where to look when nothing is close."""
    suggestions = unit_suggestions((unit.name for unit in store.units()), name)
    if suggestions:
        return f"未找到单位「{name}」，是否指：{'、'.join(suggestions)}"
    return (
        f"未找到单位「{name}」；可用 tracker units 查看所有单位，"
        "或用 tracker units add 添加（如乡镇街道）"
    )


def require_unit(store: Store, name: str) -> UnitRecord:
    """The unit by name or id.

    Raises:
        click.ClickException: naming the units the clerk probably meant.
    """
    unit = store.unit(name)
    if unit is None:
        raise click.ClickException(unknown_unit_message(store, name))
    return unit


# ---------------------------------------------------------------------- the database


def _as_argument(path: Path) -> str:
    text = str(path)
    if any(ch.isspace() or ch in "\"'$`\\;&|<>()*?" for ch in text.replace("\\", "")):
        return f'"{text}"'
    return text


def missing_database_message(path: Path, *, from_env: bool, empty: bool = False) -> str:
    """Why a named database is refused, and how to make one."""
    source = "环境变量 TRACKER_DB" if from_env else "--db"
    what = f"数据库文件「{path}」是空的" if empty else f"未找到数据库「{path}」"
    return (
        f"{what}（{source} 所指），未做任何修改。如要新建数据库，请导入分工表："
        f"tracker import 分工表.docx --db {_as_argument(path)}"
    )
