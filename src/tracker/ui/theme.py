"""The app's two themes: Textual's dark theme, and a light theme clerks can read.

Textual's own light theme draws panel borders at about 1.3:1 against the background and
its ANSI yellow (our 临期 and 推进中) at 1.5:1. WCAG asks 4.5:1 for text and 3:1 for
borders and other graphics, so the light theme here picks its colours for that, and
the ANSI colours the labels use (red, green, yellow, cyan, magenta) are redefined for
light backgrounds (Textual turns ANSI colours into these when the theme is light).
``tests/test_theme.py`` computes every ratio from these values.

On the light theme the stylesheet draws unfocused panel borders in ``$border-blurred``
(set here to :data:`FRAME`) instead of ``$panel-lighten-2``.
"""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.terminal_theme import TerminalTheme
from textual._ansi_theme import ALABASTER
from textual.color import Color
from textual.theme import Theme

DARK = "textual-dark"
"""The dark theme (Textual's own)."""
LIGHT = "tracker-light"
"""The light theme (below)."""
THEME_SETTING = "theme"
"""The settings key remembering the clerk's choice."""

FRAME = "#767676"
"""Unfocused borders in the light theme: 4.3:1 on the background, 3.9:1 on panels."""

LIGHT_THEME = Theme(
    name=LIGHT,
    primary="#0A58A8",
    secondary="#3C5A80",
    accent="#9C4A00",
    warning="#8F5400",
    error="#B3261E",
    success="#1A6B2D",
    foreground="#1A1A1A",
    background="#FAFAFA",
    surface="#FFFFFF",
    panel="#E6E9ED",
    dark=False,
    variables={
        "border-blurred": FRAME,
        "text-muted": "#4F4F4F",
        "footer-key-foreground": "#0A58A8",
        "footer-description-foreground": "#1A1A1A",
        "input-cursor-background": "#1A1A1A",
    },
)
"""Readable on white paper-like backgrounds: text ≥ 4.5:1, borders and titles ≥ 3:1."""


def _ansi_light() -> TerminalTheme:
    # Alabaster (Textual's light ANSI theme) with green, yellow and cyan darkened: theirs
    # are 4.0, 2.5 and 4.3 to 1 on a light background.
    colors = list(ALABASTER.ansi_colors)  # type: ignore[call-overload]  # a Palette iterates
    darker = {2: "#2E6B12", 3: "#6B4600", 6: "#005F80", 10: "#2E6B12", 11: "#6B4600", 14: "#005F80"}
    for index, hex_color in darker.items():
        colors[index] = RichColor.parse(hex_color).get_truecolor()
    theme = TerminalTheme(
        tuple(ALABASTER.background_color),  # type: ignore[arg-type]
        tuple(ALABASTER.foreground_color),  # type: ignore[arg-type]
        [tuple(c) for c in colors[:8]],
        [tuple(c) for c in colors[8:]],
    )
    return theme


LIGHT_ANSI = _ansi_light()
"""The ANSI colours (red, green, yellow…) as drawn on the light theme."""


def contrast(foreground: Color, background: Color) -> float:
    """The WCAG contrast ratio of two colours (1 to 21); a translucent foreground is
    first blended onto the background."""
    if foreground.a < 1:
        foreground = background.blend(foreground.with_alpha(1), foreground.a)

    def luminance(color: Color) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
