"""The light theme is readable: text 4.5:1, borders and panel titles 3:1 (WCAG), each
ratio computed from the colours the app really uses; and the chosen theme is remembered."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.style import Style as RichStyle
from test_app import FIRST_ITEM, USER, stored
from textual._ansi_theme import MONOKAI
from textual.app import ComposeResult
from textual.color import Color
from textual.constants import DIM_FACTOR
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

import tracker.ui
from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.store import Store
from tracker.store.locations import stylesheet_path
from tracker.ui.app import TrackerApp
from tracker.ui.labels import STATUS_STYLES, status_badge, warning_style
from tracker.ui.theme import DARK, LIGHT, LIGHT_ANSI, LIGHT_THEME, contrast
from tracker.ui.tones import Tone

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


# ------------------------------------------------------------- colours come from the theme
UI = Path(tracker.ui.__file__).parent
PALETTE = (UI / "theme.py", UI / "tones.py")
"""Where the app's colours are named: the themes and the labels' tones."""


def _style_literals(source: str) -> list[tuple[int, str]]:
    """Every string literal in some Python source that Rich would read as a style with a
    colour (``"red"``, ``"bold yellow"``, ``"#ff0000"``, ``"on blue"``), by line."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        value = ast.literal_eval(re.sub(r"^([rRbBuU]*)[fF]", r"\1", token.string))
        # An f-string's fields are left out: f"bold {Tone.ERROR}" is "bold ".
        words = (
            re.sub(r"\{[^}]*\}", " ", value) if token.string[:2].lower() in {"f'", 'f"'} else value
        )
        try:
            style = RichStyle.parse(words)
        except Exception:
            continue  # not a style (a docstring, a label, a key)
        if style.color is not None or style.bgcolor is not None:
            found.append((token.start[0], value))
    return found


def test_no_colour_literals_in_the_screens() -> None:
    """The app's screens take every colour from the theme: ``tracker.tcss`` or a
    :class:`Tone` (the theme's palette), never a colour name or a hex colour of their own."""
    assert _style_literals('x = "bold yellow"\ny = f"bold {z}"\nq = "#00ff00"') == [
        (1, "bold yellow"),
        (3, "#00ff00"),
    ]
    offenders = {
        f"{path.relative_to(UI)}:{line}": value
        for path in sorted(UI.rglob("*.py"))
        if path not in PALETTE
        for line, value in _style_literals(path.read_text(encoding="utf-8"))
    }
    assert not offenders


class _Badges(Screen[None]):
    def compose(self) -> ComposeResult:
        for status in Status:
            yield Static(status_badge(status), id=f"s-{status.value}")


TONES = {
    Status.IN_PROGRESS: Tone.WARNING,
    Status.DONE: Tone.SUCCESS,
    Status.ONGOING: Tone.INFO,
    Status.ON_HOLD: Tone.ERROR,
}


async def test_status_badges_take_distinct_colours_from_the_theme(store: Store) -> None:
    """Each status badge is drawn in its own colour, the one the active theme's palette
    gives its tone; the light theme draws them in its own, darker colours."""
    drawn: dict[str, dict[Status, Color]] = {}
    async with TrackerApp(store, USER).run_test() as pilot:
        app = pilot.app
        await app.push_screen(_Badges())
        for theme in (DARK, LIGHT):
            app.theme = theme
            await pilot.pause()
            palette = app.ansi_theme
            drawn[theme] = {}
            for status in Status:
                widget = app.screen.query_one(f"#s-{status.value}")
                line = widget.render_lines(widget.region.reset_offset)[0]
                (segment,) = [s for s in line if s.text.strip()]
                assert segment.style is not None and segment.style.color is not None
                drawn[theme][status] = Color(*segment.style.color.get_truecolor(palette))
            for status, tone in TONES.items():
                assert drawn[theme][status] == Color(*RichColor.parse(tone).get_truecolor(palette))
            coloured = [drawn[theme][status] for status in TONES]
            assert len(set(coloured)) == len(coloured), drawn[theme]
    assert app.ansi_theme_dark is MONOKAI and app.ansi_theme_light is LIGHT_ANSI
    assert all(drawn[DARK][status] != drawn[LIGHT][status] for status in TONES), drawn
    assert drawn[LIGHT][Status.IN_PROGRESS] == ansi(Tone.WARNING)


def test_each_selector_is_styled_in_one_place() -> None:
    """A rule whose selector is written twice in the stylesheet leaves the reader to work
    out which one wins; each selector (alone or a group) heads one rule."""
    css = re.sub(r"/\*.*?\*/", "", stylesheet_path().read_text(encoding="utf-8"), flags=re.S)
    seen: dict[str, int] = {}
    for selectors in re.findall(r"([^{}]+)\{", css):
        name = ", ".join(" ".join(selector.split()) for selector in selectors.split(","))
        seen[name] = seen.get(name, 0) + 1
    assert {name: count for name, count in seen.items() if count > 1} == {}
