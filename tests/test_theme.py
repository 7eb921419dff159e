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

from tracker.domain.deadlines import DueWarning
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.labels import STATUS_STYLES, warning_style
from tracker.ui.theme import DARK, LIGHT, LIGHT_ANSI, LIGHT_THEME, contrast

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
        for border in ("border-blurred", "border", "primary"):
            ratio = contrast(colours[border], under)
            assert ratio >= GRAPHICS, f"${border} on ${background}: {ratio:.2f}"
    footer = colours["footer-background"]
    assert contrast(colours["footer-key-foreground"], footer) >= TEXT
    assert contrast(colours["footer-description-foreground"], footer) >= TEXT


def _effective_background(widget: Widget) -> Color:
    return widget.background_colors[0]


@pytest.mark.slow
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
        if widget.has_focus:  # the focused panel stands out in the theme's primary colour
            assert border == Color.parse(LIGHT_THEME.primary)
        if widget.border_title:
            title = widget.styles.border_title_color
            title_colour = border if title.a == 0 else title
            assert contrast(title_colour, behind) >= GRAPHICS, f"{selector} title"


@pytest.mark.slow
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


BOX = set("▼▲╭╮╰╯─│▔▁▊▎▏▌▐▆▅▇█▃▂▄▀▰▱░├└┬┴┼┤┌┐┘╴╶")
"""Border, bar and scrollbar characters: graphics (3:1), not text."""


def _segment_colours(segment, widget: Widget) -> tuple[Color, Color] | None:
    style = segment.style
    if style is None or style.color is None:
        return None
    fore = Color(*style.color.get_truecolor(LIGHT_ANSI))
    back_rich = style.bgcolor
    back = (
        Color(*back_rich.get_truecolor(LIGHT_ANSI, foreground=False))
        if back_rich is not None
        else widget.background_colors[1]
    )
    if style.dim:
        fore = back.blend(fore, DIM_FACTOR)
    return fore, back


@pytest.mark.slow
@pytest.mark.parametrize(
    "keys",
    [(), ("o",), ("d",), ("R",), ("slash", "f", "g", "j"), ("question_mark",)],
    ids=["main", "overview", "due", "report", "search", "help"],
)
async def test_every_character_on_the_light_screens_is_readable(
    store: Store, keys: tuple[str, ...]
) -> None:
    """Render each screen on the light theme and check every character drawn."""
    plan = store.plans()[0]
    items = store.filtered_items(plan.id)
    store.apply_change(items[0].id, "status", "in_progress", USER)
    store.apply_change(items[1].id, "status", "ongoing", USER)
    store.apply_change(items[2].id, "status", "on_hold", USER)
    store.today_override = __import__("datetime").date(2023, 8, 25)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(120, 40)) as pilot:
        # The cursor on the first item: its status box shows ◐推进中, the tree the others.
        await pilot.press("t", *FIRST_ITEM, *keys)
        await pilot.pause()
        cursor = Color.parse(light_variables()["block-cursor-background"].hex)
        failures = []
        for widget in app.screen.query("*"):
            if not widget.display or not widget.region or widget.children:
                continue
            for line in widget.render_lines(widget.region.reset_offset):
                for segment in line:
                    text = segment.text.strip()
                    colours = _segment_colours(segment, widget) if text else None
                    if colours is None:
                        continue
                    fore, back = colours
                    if back == cursor or contrast(back, cursor) < 1.2:
                        continue  # the highlighted line: Textual's own cursor colours
                    need = GRAPHICS if set(text) <= BOX else TEXT
                    ratio = contrast(fore, back)
                    if ratio < need:
                        failures.append((widget.id or type(widget).__name__, text, round(ratio, 2)))
        assert not failures, sorted(set(failures))
