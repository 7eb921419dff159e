"""The light theme is readable: text 4.5:1, borders and panel titles 3:1 (WCAG), each
ratio computed from the colours the app really uses; and the chosen theme is remembered."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color as RichColor
from test_app import FIRST_ITEM, USER, stored
from textual.color import Color
from textual.constants import DIM_FACTOR
from textual.widget import Widget

from tracker.app import TrackerApp
from tracker.deadlines import DueWarning
from tracker.labels import STATUS_STYLES, warning_style
from tracker.store import Store
from tracker.theme import DARK, LIGHT, LIGHT_ANSI, LIGHT_THEME, contrast

TEXT = 4.5
GRAPHICS = 3.0


def light_variables() -> dict[str, Color]:
    variables = {**LIGHT_THEME.to_color_system().generate(), **LIGHT_THEME.variables}
    return {name: Color.parse(value) for name, value in variables.items() if _is_colour(value)}


def _is_colour(value: str) -> bool:
    try:
        Color.parse(value)
    except Exception:
        return False
    return True


BACKGROUNDS = ("background", "surface", "panel")
"""Where text and borders are drawn in the app."""


def ansi(name: str) -> Color:
    """An ANSI colour (a label's ``red``, ``yellow``…) as drawn on the light theme."""
    return Color(*RichColor.parse(name).get_truecolor(LIGHT_ANSI))


def label_colours() -> set[str]:
    """Every colour name the tree, panes and dialogs give to a label (statuses, warnings)."""
    names = {style.split()[-1] for _, style in STATUS_STYLES.values()}
    names |= {warning_style(w) for w in DueWarning if warning_style(w)}
    names |= {"red", "green", "yellow", "magenta", "cyan"}
    return names - {"dim"}


def test_light_text_reaches_4_5_to_1_on_every_background() -> None:
    colours = light_variables()
    for background in BACKGROUNDS:
        under = colours[background]
        for text in ("foreground", "text-muted", "primary", "accent", "error", "success"):
            ratio = contrast(colours[text], under)
            assert ratio >= TEXT, f"${text} on ${background}: {ratio:.2f}"
        # Dim text (paths, hints, ○未启动) is the foreground blended toward the background.
        dim = under.blend(colours["foreground"], DIM_FACTOR)
        assert contrast(dim, under) >= TEXT, f"dim text on ${background}"
        for name in label_colours():
            ratio = contrast(ansi(name), under)
            assert ratio >= TEXT, f"{name} labels on ${background}: {ratio:.2f}"


def test_light_borders_and_footer_keys_are_visible() -> None:
    colours = light_variables()
    for background in BACKGROUNDS:
        under = colours[background]
        for border in ("frame", "border-blurred", "border", "primary"):
            ratio = contrast(colours[border], under)
            assert ratio >= GRAPHICS, f"${border} on ${background}: {ratio:.2f}"
    footer = colours["footer-background"]
    assert contrast(colours["footer-key-foreground"], footer) >= TEXT
    assert contrast(colours["footer-description-foreground"], footer) >= TEXT


def _effective_background(widget: Widget) -> Color:
    return widget.background_colors[0]


@pytest.mark.parametrize(
    "selector", ["#plan-tree", "NodeSummary", "#item-content-scroll", "#notes", "#status"]
)
async def test_the_light_screen_uses_those_colours(store: Store, selector: str) -> None:
    """On the running app: each panel's border and title against what is behind it."""
    app = TrackerApp(store, USER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *FIRST_ITEM)
        await pilot.pause()
        assert app.theme == LIGHT
        screen = app.screen
        screen.query_one("#panes").current = (  # type: ignore[attr-defined]
            "node-summary" if selector == "NodeSummary" else "item-detail"
        )
        await pilot.pause()
        widget = screen.query_one(selector)
        if selector == "#status":
            widget = widget.query_one("SelectCurrent")
        behind = _effective_background(widget)
        _, border = widget.styles.border_top
        assert contrast(border, behind) >= GRAPHICS, f"{selector} border"
        if widget.border_title:
            title = widget.styles.border_title_color
            title_colour = border if title.a == 0 else title
            assert contrast(title_colour, behind) >= GRAPHICS, f"{selector} title"


async def test_the_chosen_theme_is_remembered(store: Store, db_path: Path) -> None:
    async with TrackerApp(store, USER).run_test() as pilot:
        assert pilot.app.theme == DARK
        await pilot.press("t")
        assert pilot.app.theme == LIGHT
    assert stored(db_path, "SELECT value FROM settings WHERE key = 'theme'") == [(LIGHT,)]
    async with TrackerApp(store, USER).run_test() as pilot:
        assert pilot.app.theme == LIGHT
        await pilot.press("t")
    async with TrackerApp(store, USER).run_test() as pilot:
        assert pilot.app.theme == DARK
