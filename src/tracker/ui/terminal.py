"""Whether the terminal speaks UTF-8, checked before the app starts.

Textual decodes every keystroke as UTF-8. A terminal set to GBK (a GBK locale, or an
SSH client such as Xshell or SecureCRT set to GBK) sends other bytes for Chinese, and
the first Chinese character typed ends the app. So ``tracker`` refuses to start in
such a terminal and says how to switch it to UTF-8.
"""

from __future__ import annotations

import codecs
import locale
import os
import sys
from collections.abc import Iterable, Mapping

LOCALE_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG")
"""The variables naming the terminal's character set, strongest first (POSIX)."""


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return name.lower().replace("-", "").replace("_", "") == "utf8"


COERCED_CTYPES = frozenset({"C.UTF-8", "C.utf8", "UTF-8"})
"""What Python sets ``LC_CTYPE`` to when the locale named is not installed (PEP 538)."""


def locale_charset(environ: Mapping[str, str]) -> str | None:
    """The character set the locale variables name (``zh_CN.GBK`` → ``GBK``), if any."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable)
        if variable == "LC_CTYPE" and value in COERCED_CTYPES and not environ.get("LC_ALL"):
            # Python itself may have set it, replacing a missing zh_CN.GBK: LANG is
            # still what the clerk's terminal was set up for.
            lang = environ.get("LANG", "")
            if "." in lang:
                continue
        if value:  # the first one set decides, as for every other program
            name = value.partition(".")[2].partition("@")[0]
            return name or None
    return None


def non_utf8_encoding(
    environ: Mapping[str, str] | None = None,
    stream_encodings: Iterable[str | None] | None = None,
    preferred: str | None = None,
    platform: str | None = None,
) -> str | None:
    """The non-UTF-8 character set the terminal appears to use, or None if it is UTF-8.

    Args:
        environ: The environment (default: ``os.environ``). ``LC_ALL``/``LC_CTYPE``/``LANG``
            naming another character set count even when that locale is not installed
            (Python then falls back to UTF-8, but the terminal still sends GBK).
        stream_encodings: Those of stdin and stdout (default: the real ones).
        preferred: The locale's encoding (default: ``locale.getpreferredencoding``).
        platform: ``sys.platform`` by default. On Windows the console passes Unicode to
            Textual whatever its code page, so the ANSI code page (cp936) is not held
            against it.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if stream_encodings is None:
        stream_encodings = [getattr(stream, "encoding", None) for stream in (sys.stdin, sys.stdout)]
    named = locale_charset(environ)
    if named and not _is_utf8(named):
        return named
    for encoding in stream_encodings:
        if encoding and not _is_utf8(encoding):
            return encoding
    if platform != "win32":
        preferred = locale.getpreferredencoding(False) if preferred is None else preferred
        if preferred and not _is_utf8(preferred):
            return preferred
    return None


def utf8_advice(encoding: str) -> str:
    """What to tell the clerk, in Chinese with an English line for a garbled screen."""
    return "\n".join(
        [
            f"终端的字符编码是 {encoding}，不是 UTF-8。在这样的终端里输入中文会使 tracker "
            "意外退出，所以没有启动（数据库未做任何改动）。",
            "请把终端改为 UTF-8 后再运行：",
            "  · Linux / 服务器：export LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8"
            "（系统没有中文语言环境时用 C.UTF-8）",
            "  · 通过 SSH 连接时：在 SSH 客户端（Xshell、SecureCRT、PuTTY 等）的会话设置中"
            "把字符编码（字符集）改为 UTF-8",
            "  · Windows：使用 Windows Terminal，或先运行 chcp 65001",
            f"(The terminal uses {encoding}, not UTF-8: set LANG=C.UTF-8 or zh_CN.UTF-8 "
            "and the terminal or SSH client's character set to UTF-8.)",
        ]
    )
