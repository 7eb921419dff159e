"""The editing service on a temp database, with a fake monotonic clock: no Textual."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import seeded_db

import tracker.services.editing
from tracker.cli import main
from tracker.domain.deadlines import DeadlineKind
from tracker.domain.models import Status
from tracker.services.drafts import SAVE_AFTER_PAUSE, SAVE_AT_LEAST_EVERY, NoteDrafts
from tracker.services.editing import NOT_STANDING_TEXT, Editing, Outcome, Refused
from tracker.store import ItemRecord, Store

USER = "张三"


class FakeMonotonic:
    """Monotonic seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mono() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def editing(store: Store, mono: FakeMonotonic) -> Editing:
    return Editing(store, USER, drafts=NoteDrafts(mono))


def items(store: Store) -> list[ItemRecord]:
    return store.filtered_items(store.plans()[0].id)


def first(store: Store) -> ItemRecord:
    return items(store)[0]


def kind(store: Store, wanted: DeadlineKind) -> ItemRecord:
    return next(i for i in items(store) if i.deadline_kind is wanted)


# ---------------------------------------------------------------------- autosave
def test_autosave_is_due_after_the_pause(editing: Editing, store: Store, mono) -> None:
    item = first(store)
    editing.item(item.id)  # the pane shows it: typing starts from what is stored
    outcome = editing.edit_notes(item.id, "已部署")
    assert outcome.save_state == "typing"
    assert editing.due_in() == pytest.approx(SAVE_AFTER_PAUSE)
    mono.now += SAVE_AFTER_PAUSE / 2
    assert editing.save_due() is None  # not yet: nothing written
    assert store.item(item.id).notes == ""
    mono.now += SAVE_AFTER_PAUSE / 2
    saved = editing.save_due()
    assert saved is not None and saved.notes_saved == (item.id,)
    assert saved.save_state == "saved"
    assert store.item(item.id).notes == "已部署"
    assert editing.due_in() is None and not editing.drafts


def test_continuous_typing_is_due_at_least_every_so_often(
    editing: Editing, store: Store, mono
) -> None:
    item = first(store)
    for step in range(4):
        outcome = editing.edit_notes(item.id, "字" * (step + 1))
        assert outcome.save_state == "typing"
        mono.now += SAVE_AFTER_PAUSE * 0.9  # a pause never long enough
    # The deadline from the first keystroke is never pushed back past the limit.
    assert editing.due_in() == pytest.approx(max(0.0, SAVE_AT_LEAST_EVERY - 4 * 0.45))
    mono.now = 500.0 + SAVE_AT_LEAST_EVERY
    outcome = editing.edit_notes(item.id, "字字字字字")
    assert outcome.notes_saved == (item.id,)  # saved at once, in the same call
    assert store.item(item.id).notes == "字字字字字"


def test_a_switch_flushes_at_once(editing: Editing, store: Store) -> None:
    one, two = items(store)[:2]
    editing.edit_notes(one.id, "第一项")
    editing.edit_notes(two.id, "第二项")
    outcome = editing.save_drafts()  # what the screen does on an item switch
    assert set(outcome.notes_saved) == {one.id, two.id}
    assert store.item(one.id).notes == "第一项" and store.item(two.id).notes == "第二项"
    assert editing.save_drafts().save_state is None  # nothing pending: nothing to say


def test_a_draft_shows_over_the_stored_notes(editing: Editing, store: Store) -> None:
    item = first(store)
    editing.edit_notes(item.id, "未保存")
    assert editing.item(item.id).notes == "未保存"
    assert store.item(item.id).notes == ""


def test_another_windows_save_is_merged_not_lost(
    editing: Editing, store: Store, db_path: Path
) -> None:
    item = first(store)
    editing.item(item.id)
    editing.edit_notes(item.id, "这里写的")
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE items SET notes = '那边写的' WHERE id = ?", [item.id])
    outcome = editing.save_drafts()
    assert outcome.reload_notes == (item.id,)
    assert [n.title for n in outcome.notices] == ["已合并两处的修改"]
    notes = store.item(item.id).notes
    assert "这里写的" in notes and "那边写的" in notes


def test_a_failed_save_keeps_the_draft_and_is_due_again(
    editing: Editing, store: Store, mono, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = first(store)
    editing.edit_notes(item.id, "磁盘满了")

    def full(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "save_draft", full)
    outcome = editing.save_drafts()
    assert outcome.save_state == "failed" and "disk is full" in str(outcome.error)
    assert editing.drafts.get(item.id) == "磁盘满了"
    assert editing.due_in() == pytest.approx(SAVE_AT_LEAST_EVERY)
    monkeypatch.undo()
    mono.now += SAVE_AT_LEAST_EVERY
    assert editing.save_due() is not None
    assert store.item(item.id).notes == "磁盘满了"


def test_flush_through_another_connection(editing: Editing, store: Store) -> None:
    item = first(store)
    editing.edit_notes(item.id, "挂断前输入")
    other = Store.reopen_for_thread(store)
    try:
        assert editing.flush(via=other) == []
    finally:
        other.close()
    assert store.item(item.id).notes == "挂断前输入"
    assert not editing.drafts


# ---------------------------------------------------------------------- status and undo
def test_status_change_answers_what_changed(editing: Editing, store: Store) -> None:
    item = first(store)
    heard: list[Outcome] = []
    stop = editing.listen(heard.append)
    outcome = editing.set_status(item.id, Status.DONE, seen=item.status)
    stop()
    assert heard == [outcome]
    assert outcome.changed == (item.id,)
    assert outcome.records[item.id].status is Status.DONE
    assert [n.text for n in outcome.notices] == [f"已将 {item.outline} 设为 已完成（Ctrl+Z 撤销）"]
    assert outcome.save_state == "saved" and outcome.written
    editing.set_status(item.id, Status.IN_PROGRESS)
    assert heard == [outcome]  # no longer listening


def test_a_stale_status_is_not_overwritten(editing: Editing, store: Store) -> None:
    item = first(store)
    store.set_status(item.id, Status.DONE, "李四")  # another window
    outcome = editing.set_status(item.id, Status.IN_PROGRESS, seen=Status.NOT_STARTED)
    assert not outcome.written and outcome.changed == (item.id,)
    assert outcome.records[item.id].status is Status.DONE  # the pane shows what is stored
    assert "已完成" in outcome.notices[0].text


def test_undo_and_redo_of_status_and_notes(editing: Editing, store: Store) -> None:
    item = first(store)
    editing.set_status(item.id, Status.DONE)
    editing.item(item.id)
    editing.edit_notes(item.id, "已完成部署")
    undone = editing.undo()  # saves the draft first, then takes it back
    assert undone.notices[0].text == "已撤销：进展情况"
    assert undone.reload_notes == (item.id,)
    assert store.item(item.id).notes == ""
    assert editing.undo().notices[0].text == "已撤销：状态"
    assert store.item(item.id).status is Status.NOT_STARTED
    nothing = editing.undo()
    assert nothing.notices[0].text == "没有可撤销的修改（只能撤销本次打开后的修改）"
    assert editing.redo().notices[0].text == "已重做：状态"
    assert editing.redo().notices[0].text == "已重做：进展情况"
    again = store.item(item.id)
    assert (again.status, again.notes) == (Status.DONE, "已完成部署")
    kinds = [c.kind for c in store.changes(item.id)]
    assert sorted(kinds) == ["edit", "edit", "redo", "redo", "undo", "undo"]


def test_undo_refuses_a_value_changed_since(editing: Editing, store: Store) -> None:
    item = first(store)
    editing.set_status(item.id, Status.DONE)
    store.set_status(item.id, Status.ON_HOLD, "李四")
    outcome = editing.undo()
    assert not outcome.written and outcome.notices[0].text == "该项已被另一窗口修改，无法撤销"


# ---------------------------------------------------------------------- reviews
def test_review_refused_on_an_item_that_is_not_standing(editing: Editing, store: Store) -> None:
    item = kind(store, DeadlineKind.DATE)
    before = store.changes()
    outcome = editing.mark_reviewed(item.id)
    assert outcome.refused and isinstance(outcome.error, Refused)
    assert [n.text for n in outcome.notices] == [NOT_STANDING_TEXT]
    assert outcome.changed == () and not outcome.written
    assert store.changes() == before
    assert store.item(item.id).last_reviewed == item.last_reviewed


def test_review_of_a_standing_item(editing: Editing, store: Store) -> None:
    item = kind(store, DeadlineKind.STANDING)
    outcome = editing.mark_reviewed(item.id)
    assert outcome.written and outcome.changed == (item.id,)
    assert store.item(item.id).last_reviewed == store.today()
    assert editing.undo().notices[0].text == "已撤销：检查日期"


# ---------------------------------------------------------------------- read-only
def test_read_only_refuses_every_edit(store: Store, mono) -> None:
    editing = Editing(store, USER, drafts=NoteDrafts(mono), read_only=True)
    item = first(store)
    outcomes = [
        editing.set_status(item.id, Status.DONE),
        editing.mark_reviewed(kind(store, DeadlineKind.STANDING).id),
        editing.edit_notes(item.id, "不应保存"),
        editing.undo(),
    ]
    assert all(o.refused and o.notices[0].title == "只读" for o in outcomes)
    assert outcomes[0].changed == (item.id,)  # the status control is put back
    assert not editing.drafts
    assert store.changes() == []


# ---------------------------------------------------------------------- the command line
def test_set_goes_through_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = seeded_db(tmp_path / "台账.db")
    calls: list[str] = []
    for name in ("set_status", "save_notes"):
        real = getattr(Editing, name)

        def spy(self: Editing, *args: object, _real=real, _name=name, **kwargs: object):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(tracker.services.editing.Editing, name, spy)
    args = ["--db", str(db), "--user", USER, "set", "1.1.1", "--status", "done"]
    args += ["--notes", "已公开"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert calls == ["set_status", "save_notes"]
    assert "状态 → 已完成；进展情况已更新" in result.output
    with closing(sqlite3.connect(db)) as conn:
        logged = conn.execute("SELECT field, new_value, by FROM changes ORDER BY rowid").fetchall()
    assert logged == [("status", "done", USER), ("notes", "已公开", USER)]


def test_import_ledger_goes_through_the_service(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    from tracker.ledger import export_ledger, import_ledger

    unit = store.unit("区发改局")
    assert unit is not None
    out = export_ledger(store, store.plans()[0].id, tmp_path / "发改.xlsx", unit_id=unit.id)
    book = load_workbook(out)
    sheet = book["台账"]
    (row,) = [r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "1.1.1"]
    sheet[f"H{row}"] = "已公开重大项目信息 5 条。"
    book.save(out)
    calls: list[tuple[str, str | None]] = []
    real = Editing.apply_change

    def spy(self: Editing, item_id: str, field: str, value: str | None, expected: str | None, **kw):
        calls.append((field, value))
        return real(self, item_id, field, value, expected, **kw)

    monkeypatch.setattr(tracker.services.editing.Editing, "apply_change", spy)
    result = import_ledger(store, out, "区发改局")
    assert calls == [("notes", "已公开重大项目信息 5 条。")]
    assert len(result.written) == 1
    assert store.report(first(store).id, "区发改局").updated_by == "区发改局"  # its report


# ---------------------------------------------------------------------- a unit's reports
def outline(store: Store, number: str) -> ItemRecord:
    """1.1.1: 区发改局 (lead), 区经信局, 区自然资源局 and 各乡镇街委 (no members)."""
    return store.item_by_outline(store.plans()[0].id, number)


def unit_editing(store: Store, mono: FakeMonotonic, name: str) -> Editing:
    editing = Editing(store, USER, drafts=NoteDrafts(mono))
    editing.unit = store.unit(name).id
    return editing


def test_a_unit_sets_its_own_status_and_notes(store: Store, mono) -> None:
    item = outline(store, "1.1.1")
    editing = unit_editing(store, mono, "区发改局")
    shown = editing.item(item.id)
    assert shown.status is Status.NOT_STARTED and shown.updated_at is None
    outcome = editing.set_status(item.id, Status.DONE, seen=editing.own_status(shown))
    assert outcome.written and outcome.change.unit_id == editing.unit
    editing.edit_notes(item.id, "区发改局：已完成")
    assert editing.drafts.pending() == {f"{item.id}:{editing.unit}": "区发改局：已完成"}
    editing.save_drafts()
    mine = store.report(item.id, "区发改局")
    assert (mine.status, mine.notes, mine.updated_by) == (Status.DONE, "区发改局：已完成", USER)
    # The office's verdict and notes and another unit's report are untouched.
    after = store.item(item.id)
    assert (after.office_status, after.notes) == (None, "")
    assert after.status is Status.IN_PROGRESS and after.units_done == 1
    assert store.report(item.id, "区经信局").reported is False
    # Read back as the unit: its own, with its own last update.
    again = editing.item(item.id)
    assert (again.status, again.notes, again.updated_by) == (Status.DONE, "区发改局：已完成", USER)
    # Undo takes back the unit's change, in its report.
    editing.undo()
    assert store.report(item.id, "区发改局").notes == ""


def test_a_unit_not_responsible_is_refused(store: Store, db_path: Path, mono) -> None:
    item = outline(store, "1.2.1")  # 区教育局、区应急管理局, 各乡镇街委
    editing = unit_editing(store, mono, "区发改局")
    before = stored_changes(db_path)
    outcome = editing.set_status(item.id, Status.DONE)
    assert outcome.refused and not outcome.written
    assert "不是 1.2.1 的责任单位" in outcome.notices[0].text
    assert editing.refusal(item.id) == outcome.notices[0].text
    typed = editing.edit_notes(item.id, "不该写入")
    assert typed.refused and not editing.drafts
    assert editing.cycle_status(item.id).refused
    assert stored_changes(db_path) == before
    assert store.item(item.id).status is Status.NOT_STARTED


def stored_changes(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute("SELECT count(*) FROM changes").fetchone()[0]


def test_the_office_sees_no_change_underneath_from_units(store: Store, mono) -> None:
    # Once a unit has reported, the roll-up differs from the office's verdict: the
    # office's "seen" status is its verdict, so its edit is not refused.
    item = outline(store, "1.1.1")
    unit = unit_editing(store, mono, "区发改局")
    unit.set_status(item.id, Status.IN_PROGRESS)
    office = Editing(store, USER, drafts=NoteDrafts(mono))
    shown = office.item(item.id)
    assert shown.status is Status.IN_PROGRESS  # the roll-up
    assert office.own_status(shown) is Status.NOT_STARTED  # no verdict yet
    outcome = office.set_status(item.id, Status.DONE, seen=office.own_status(shown))
    assert outcome.written and outcome.error is None
    assert store.item(item.id).office_status is Status.DONE
    # Cycling goes on from the verdict, not from the roll-up.
    office.cycle_status(item.id, seen=Status.DONE)
    assert store.item(item.id).office_status is Status.ONGOING
    assert store.report(item.id, "区发改局").status is Status.IN_PROGRESS


def test_drafts_of_the_office_and_a_unit_are_kept_apart(store: Store, mono) -> None:
    item = outline(store, "1.1.1")
    editing = Editing(store, USER, drafts=NoteDrafts(mono))
    editing.item(item.id)
    editing.edit_notes(item.id, "区办的意见")
    editing.unit = store.unit("区经信局").id
    editing.item(item.id)
    editing.edit_notes(item.id, "区经信局的进展")
    assert len(editing.drafts.pending()) == 2
    assert editing.flush() == []
    assert store.item(item.id).notes == "区办的意见"
    assert store.report(item.id, "区经信局").notes == "区经信局的进展"
