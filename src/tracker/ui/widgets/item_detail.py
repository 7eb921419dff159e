"""The right-hand panes: the selected item, its status control and its notes.

The pane never writes to disk. It shows the item it is given and reports what the
clerk does with messages (:class:`ItemDetail.StatusChosen`,
:class:`ItemDetail.NotesEdited`, :class:`ItemDetail.NotesLeft`,
:class:`ItemDetail.UnitChosen`); the screen that owns the store saves.

A unit's clerk sees the unit's own report (status, notes, last update). The office (no
unit set) sees its own verdict in the status control, labelled as the office's, and
beside it a table of the item's responsible units and their reports (never hidden by
the verdict); Enter on a row asks for that unit's full report.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable, Select, Static, TextArea

from tracker.domain.deadlines import DeadlineKind, DueWarning, needs_review, parse_deadline
from tracker.domain.models import Status
from tracker.domain.units import Role, UnitKind
from tracker.store import ItemRecord, ItemUnit
from tracker.store.reports import UnitReport
from tracker.ui.format import minute_label
from tracker.ui.labels import editable, literal, one_line, status_badge, stored
from tracker.ui.tones import Tone
from tracker.ui.widgets.notes_area import NotesArea


def _field(name: str, value: str | None) -> Text:
    return Text.assemble((f"{name}：", "bold"), literal(value or "—"))


OFFICE_LABEL = "区办"
"""How the office (no unit set) is called beside its verdict."""
ROLE_LABELS = {Role.LEAD: "牵头", Role.COOPERATING: "配合"}


class ItemDetail(Vertical):
    """The selected item: content, units, deadline, status and notes."""

    class StatusChosen(Message):
        """The clerk picked a status for an item."""

        def __init__(self, item_id: str, status: Status) -> None:
            super().__init__()
            self.item_id = item_id
            self.status = status

    class NotesEdited(Message):
        """The clerk changed an item's notes; ``text`` is the whole new text."""

        def __init__(self, item_id: str, text: str) -> None:
            super().__init__()
            self.item_id = item_id
            self.text = text

    class UnitChosen(Message):
        """The office asked for one unit's full report on an item (Enter on its row)."""

        def __init__(self, item_id: str, unit_id: str) -> None:
            super().__init__()
            self.item_id = item_id
            self.unit_id = unit_id

    class NotesLeft(Message):
        """The focus left the notes of an item (a moment to save)."""

        def __init__(self, item_id: str) -> None:
            super().__init__()
            self.item_id = item_id

    BINDINGS = [
        Binding("escape", "screen.focus_tree", "返回目录", key_display="Esc"),
        Binding("f2", "zoom_notes", "放大/还原进展", key_display="F2"),
    ]

    item: var[ItemRecord | None] = var(None, always_update=True)
    """The item shown; its ``notes`` is the text to edit (a pending draft, if any)."""

    _notes_shown: str = ""
    """The notes text last loaded or reported, to tell edits from load echoes."""
    units: list[ItemUnit] = []
    """The units of the item shown, with their roles (set before :attr:`item`)."""
    today: date = date.today()
    """The day deadlines are judged against (set before :attr:`item`)."""

    review_period: str = "month"
    """The reporting period in which standing work must be reviewed (set before :attr:`item`)."""

    _reload_notes: bool = False

    office: bool = False
    """The office's view: the status control is its verdict; the units table shows."""
    reports: list[UnitReport] = []
    """The responsible units' reports (the office's view; set before :attr:`item`)."""
    refusal: str | None = None
    """Why the clerk's unit may not report on the item shown (notes read-only)."""

    _cursor_placed: bool = False
    """Whether the cursor was put in the notes since they were loaded: entering them
    first puts it at the end of the text (where a clerk adds the latest progress)."""

    def show(
        self,
        item: ItemRecord,
        units: list[ItemUnit],
        today: date,
        review_period: str = "month",
        reload_notes: bool = False,
        office: bool = False,
        reports: list[UnitReport] | None = None,
        refusal: str | None = None,
    ) -> None:
        """Show an item with its units, judged as of ``today``.

        Args:
            reload_notes: Replace the text in the notes pane even if the same item is
                shown (after an undo, or when another window saved it and nothing is
                being typed here).
            office: The office's view (no unit set): its verdict, and the units' table.
            reports: The units' reports for the table (the office's view).
            refusal: Why the clerk's unit may not report on the item (a unit's view).
        """
        self.units = units
        self.today = today
        self.review_period = review_period
        self._reload_notes = reload_notes
        self.office = office
        self.reports = list(reports or [])
        self.refusal = refusal
        self.item = item

    def shown_status(self, item: ItemRecord) -> Status:
        """The status in the control: the office's verdict in its view, else the item's
        (a unit's own)."""
        if self.office:
            return item.office_status or Status.NOT_STARTED
        return item.status

    def compose(self) -> ComposeResult:
        yield Static(id="item-path")
        with VerticalScroll(id="item-content-scroll"):
            yield Static(id="item-content")
        yield Static(id="item-units")
        yield Static(id="item-deadline")
        yield Static(id="item-verdict")
        yield Select(
            [(status_badge(s), s.value) for s in Status],
            allow_blank=False,
            id="status",
        )
        yield NotesArea(id="notes", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        table: DataTable[Text] = DataTable(
            id="unit-reports", cursor_type="row", zebra_stripes=False, show_cursor=True
        )
        table.display = False
        yield table
        yield Static(id="item-updated")

    def on_mount(self) -> None:
        self.query_one("#item-content-scroll").border_title = "具体内容"
        self.query_one("#status").border_title = "状态"
        self.query_one("#notes", TextArea).border_title = "进展情况"
        table = self.query_one("#unit-reports", DataTable)
        table.border_title = "各单位填报（Enter 查看）"
        for label, key in (
            ("单位", "unit"),
            ("角色", "role"),
            ("状态", "status"),
            ("最后更新", "updated"),
            ("进展情况", "notes"),
        ):
            table.add_column(label, key=key)

    def watch_item(self, old: ItemRecord | None, new: ItemRecord | None) -> None:
        if new is None:
            return
        path = Text.assemble(
            (f"{new.outline}　" if new.outline else "", "bold"),
            literal(f"{new.category_no} " if new.category_no else ""),
            literal(new.category_title),
            " › " if new.key_task_title.strip() else "",  # the path is muted already
            literal(new.key_task_title),
        )
        self.query_one("#item-path", Static).update(path)
        self.query_one("#item-content", Static).update(literal(new.content))
        self.query_one("#item-units", Static).update(units_text(new, self.units))
        self.query_one("#item-deadline", Static).update(
            deadline_text(new, self.today, self.review_period)
        )
        updated = (
            Text(f"最后更新：{minute_label(new.updated_at)}　{new.updated_by or ''}", style="dim")
            if new.updated_at
            else Text("尚未更新", style="dim")
        )
        if self.refusal is not None:
            updated = Text.assemble(literal(self.refusal), style=f"bold {Tone.WARNING}")
        self.query_one("#item-updated", Static).update(updated)
        self._show_office(new)
        notes_area = self.query_one("#notes", TextArea)
        refused = self.refusal is not None
        if notes_area.has_class("-refused") != refused:
            notes_area.set_class(refused, "-refused")
        if not getattr(self.app, "read_only", False):
            notes_area.read_only = refused
        # Setting the controls from code must not read as the clerk's choice: a
        # Changed handled later would apply to whichever item is shown by then.
        with self.prevent(Select.Changed, TextArea.Changed):
            select = self.query_one("#status", Select)
            own = self.shown_status(new)
            if select.value != own.value:
                select.value = own.value
            # Reload the notes only when another item is shown: re-showing the same
            # item (after a status change) must not clobber what is being typed.
            if old is None or old.id != new.id or self._reload_notes:
                self._reload_notes = False
                self._notes_shown = new.notes
                self._cursor_placed = False
                # Control characters (ESC…) are shown as stand-ins, never sent to the
                # terminal; they are turned back when the notes are saved.
                self.query_one("#notes", TextArea).load_text(editable(new.notes))

    def _show_office(self, item: ItemRecord) -> None:
        """The office's verdict, labelled as its own, and the units' table (its view)."""
        select = self.query_one("#status", Select)
        verdict = self.query_one("#item-verdict", Static)
        table = self.query_one("#unit-reports", DataTable)
        select.border_title = f"{OFFICE_LABEL}认定" if self.office else "状态"
        verdict.display = self.office
        table.display = self.office and bool(self.reports)
        # At 80×24 the rows go without their header, to leave the notes five lines.
        table.show_header = not self.screen.has_class("-short")
        self.set_class(bool(table.display), "-office")
        if not self.office:
            return
        verdict.update(verdict_text(item))
        table.clear()
        for report in self.reports:
            table.add_row(*report_cells(report), key=report.unit_id)
        table.styles.height = (
            min(len(self.reports), 8 if not self.screen.has_class("-short") else 3) + 3
        )

    @on(DataTable.RowSelected, "#unit-reports")
    def open_unit_report(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.item is not None and event.row_key.value is not None:
            self.post_message(self.UnitChosen(self.item.id, str(event.row_key.value)))

    def type_into_notes(self, text: str) -> None:
        """Text typed elsewhere (in the tree): into the notes, which take the focus."""
        notes = self.query_one("#notes", TextArea)
        if not self._cursor_placed:
            self._cursor_placed = True
            notes.move_cursor(notes.document.end)
        notes.insert(text)
        notes.focus()

    def action_zoom_notes(self) -> None:
        """Let the notes fill the screen (F2 again or Esc: back)."""
        notes = self.query_one("#notes", TextArea)
        if self.screen.maximized is notes:
            self.screen.minimize()
            return
        notes.focus()
        self.screen.maximize(notes, container=False)

    @on(Select.Changed, "#status")
    def choose_status(self, event: Select.Changed) -> None:
        event.stop()
        item = self.item
        # Select also posts Changed when mounted or set from code: only a real choice counts.
        if (
            item is None
            or event.value == self.shown_status(item).value
            or event.value is Select.NULL
        ):
            return
        self.post_message(self.StatusChosen(item.id, Status(str(event.value))))

    @on(TextArea.Changed, "#notes")
    def report_notes(self, event: TextArea.Changed) -> None:
        event.stop()
        item = self.item
        if item is None:
            return
        text = stored(event.text_area.text)
        # load_text posts Changed too; the text then equals what is shown already.
        if text != self._notes_shown:
            self._notes_shown = text
            self.post_message(self.NotesEdited(item.id, text))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "notes" and not self._cursor_placed:
            self._cursor_placed = True
            notes = self.query_one("#notes", TextArea)
            if notes.selection.end == (0, 0):  # not placed by a click meanwhile
                notes.move_cursor(notes.document.end)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.item is not None and event.widget.id == "notes":
            self.post_message(self.NotesLeft(self.item.id))


def verdict_text(item: ItemRecord) -> Text:
    """The office's verdict and what the units' reports add up to, for the office."""
    if item.office_status is not None:
        text = Text.assemble((f"{OFFICE_LABEL}认定：", "bold"), status_badge(item.office_status))
    else:
        text = Text(f"{OFFICE_LABEL}未认定", style="bold")
    if item.units_total:
        text.append(
            f"　单位完成 {item.units_done}/{item.units_total}"
            f" 填报 {item.units_reported}/{item.units_total}",
        )
    if item.units_on_hold:
        text.append(f"　⚠暂缓 {item.units_on_hold}", style=f"bold {Tone.WARNING}")
    return text


def report_cells(report: UnitReport) -> tuple[Text, ...]:
    """One unit's row in the office's table: unit, role, status, last update, notes."""
    if report.updated_at:
        # The day it was updated (as stored: ISO 8601) and by whom.
        updated = Text.assemble(report.updated_at[:10], " ", literal(report.updated_by or ""))
    else:
        updated = Text("未填报", style="dim")
    status = status_badge(report.status)
    if report.status is Status.ON_HOLD:
        status.stylize(f"bold {Tone.WARNING}")
    return (
        literal(report.unit),
        Text(
            ROLE_LABELS.get(report.role, ""),
            style=f"bold {Tone.MARK}" if report.role is Role.LEAD else "dim",
        ),
        status,
        updated,
        one_line(report.notes.strip().splitlines()[0], 30)
        if report.notes.strip()
        else Text("—", style="dim"),
    )


def units_text(item: ItemRecord, units: list[ItemUnit]) -> Text:
    """The responsible units, the lead marked (牵头) and collectives noted (集合).

    Falls back to the cell as written when it names no unit we recognise.
    """
    if not units:
        return _field("责任单位", item.units_text)
    text = Text("责任单位：", style="bold")
    for i, unit in enumerate(units):
        if i:
            text.append("、")
        text.append_text(literal(unit.name))
        if unit.role is Role.LEAD:
            text.append("（牵头）", style=f"bold {Tone.MARK}")
        if unit.kind is UnitKind.COLLECTIVE:
            text.append("（集合）", style="dim")
    return text


def deadline_text(item: ItemRecord, today: date, review_period: str = "month") -> Text:
    """The 完成时限 cell as written, what it means and how it stands today."""
    text = _field("完成时限", item.deadline_text)
    kind = item.deadline_kind
    if item.due_date is not None:
        text.append(f"　→ {item.due_date.isoformat()}", style="bold")
        days = (item.due_date - today).days
        if item.status is Status.DONE:
            text.append("（已完成）", style=Tone.SUCCESS)
        elif days < 0:
            text.append(f"（逾期 {-days} 天）", style=f"bold {Tone.ERROR}")
        elif item.warning is DueWarning.DUE_SOON:
            text.append(f"（还剩 {days} 天）", style=f"bold {Tone.WARNING}")
        else:
            text.append(f"（还剩 {days} 天）", style=Tone.SUCCESS)
    if kind is DeadlineKind.DATE_THEN_STANDING and item.status is Status.DONE:
        kind = DeadlineKind.STANDING  # done by its date: now kept up and reviewed
        text.append("　此后持续落实", style="dim")
    if item.due_date is not None and kind is not DeadlineKind.STANDING:
        return text  # dated (or recurring): the date and its standing say it all
    if kind is DeadlineKind.STANDING:
        text.append(f"　（{kind.label}）", style="dim")
        period = "本季度" if review_period == "quarter" else "本月"
        if item.last_reviewed is None:
            text.append(f"\n　尚未检查；按 r 记录{period}已检查", style=Tone.WARNING)
        elif needs_review(item.last_reviewed, today, review_period):  # type: ignore[arg-type]
            text.append(
                f"\n　上次检查 {item.last_reviewed.isoformat()}，{period}尚未检查；按 r 记录",
                style=Tone.WARNING,
            )
        else:
            text.append(
                f"\n　{period}已检查（{item.last_reviewed.isoformat()}）", style=Tone.SUCCESS
            )
    elif kind is DeadlineKind.UNKNOWN:
        text.append("　⚠ 无法识别的时限，请人工确认", style=f"bold {Tone.WARNING}")
    elif kind is DeadlineKind.RELATIVE and _months(item):
        text.append(
            f"　⚠ 自印发之日起 {_months(item)} 个月，分工表未写明印发日期，请人工确认",
            style=f"bold {Tone.WARNING}",
        )
    else:
        text.append(f"　（{kind.label}）", style="dim")
    return text


def _months(item: ItemRecord) -> int | None:
    """The months a relative deadline counts from an unknown issue date (6个月, 1年)."""
    return parse_deadline(item.deadline_text, item.plan_year).months
