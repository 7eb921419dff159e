"""The colours labels are painted in, by meaning (see :class:`Tone`).

Without Textual, so that :mod:`tracker.ui.labels` stays importable by the command line
without loading the UI.
"""

from __future__ import annotations

from enum import StrEnum


class Tone(StrEnum):
    """The colours the app paints labels in (Rich ``Text`` built in Python), by meaning.

    The only colour names in ``tracker.ui``'s Python besides the themes themselves
    (``tests/test_theme.py`` checks): everything else takes its colours from here or
    from ``tracker.tcss``. Each tone is an
    ANSI colour on purpose: Textual draws ANSI colours in the active theme's palette
    (Textual's for the dark theme, ``theme.LIGHT_ANSI`` for the light one) when it paints,
    so a tree label built before the clerk presses ``t`` is repainted in the new theme.
    A colour looked up in ``App.theme_variables`` would be fixed when the label is built.
    """

    ERROR = "red"
    """逾期, 暂缓, refusals and errors."""
    WARNING = "yellow"
    """临期, 推进中, what needs a look (not found, not yet reviewed)."""
    SUCCESS = "green"
    """已完成, saved, everything done."""
    INFO = "cyan"
    """持续推进, people's names, keys in the help."""
    MARK = "magenta"
    """The lead unit (★ 牵头) and collective units."""
