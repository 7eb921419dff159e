"""Regular expressions compiled when first used, not when their module is imported.

Compiling the deadline parser's few dozen patterns costs the app's start-up more than
a dozen milliseconds, though its first frame needs few of them, if any (issue 15).
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _LazyPattern:
    """Stands in for ``re.compile(pattern, flags)`` until first used, then for the
    compiled pattern: its methods are kept on the instance, so a call costs no more
    than on the pattern itself."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for what is not kept yet
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done on first use."""
    return cast(re.Pattern[str], _LazyPattern(pattern, flags))
