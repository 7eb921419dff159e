"""The corpus of real plans (tests/fixtures/real): each rebuilt as issued, imported,
and checked against its truth — counts, and for several items the exact content, the
lead and cooperating units and the deadline."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from tracker.domain.deadlines import parse_deadline
from tracker.domain.units import Role, parse_units
from tracker.importers import read_plan
from tracker.importers.parser import PlanFormatError

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from real import GENERATORS


def _name(generator) -> str:
    return generator.__name__.rsplit(".", 1)[-1]


@pytest.mark.parametrize("generator", GENERATORS, ids=_name)
def test_real_plan_matches_its_truth(generator, tmp_path: Path) -> None:
    truth = generator.TRUTH
    assert generator.URL.startswith("http") and generator.SOURCE
    for path in generator.build(tmp_path):
        if truth["needs_year"]:
            with pytest.raises(PlanFormatError, match="--year"):
                read_plan(path)
        plan = read_plan(path, year=truth["year"] if truth["needs_year"] else None)
        assert (plan.title, plan.year) == (truth["title"], truth["year"]), path.name
        assert len(plan.categories) == truth["categories"], path.name
        titled = [k for c in plan.categories for k in c.key_tasks if k.title]
        assert len(titled) == truth["key_tasks"], path.name
        if not truth["key_tasks"]:  # two levels: no invented key tasks
            assert all(len(c.key_tasks) == 1 for c in plan.categories)
        items = [i for c in plan.categories for k in c.key_tasks for i in k.items]
        assert len(items) == truth["items"], path.name
        assert [c.title for c in plan.categories][: len(truth["category_titles"])] == truth[
            "category_titles"
        ]
        if "key_task_titles" in truth:
            assert [k.title for k in titled] == truth["key_task_titles"]
        if "issued" in truth:
            assert plan.issued == date.fromisoformat(truth["issued"])
        if "lines" in truth:
            assert [i.line for i in items] == truth["lines"]
        for index, content, lead, cooperating, deadline, kind, due in truth["samples"]:
            item = items[index]
            assert item.content == content, (path.name, index)
            mentions = parse_units(item.units_text)
            assert [m.name for m in mentions if m.role is Role.LEAD] == lead, (path.name, index)
            assert [m.name for m in mentions if m.role is Role.COOPERATING] == cooperating
            assert item.deadline_text == deadline
            parsed = parse_deadline(item.deadline_text, plan.year)
            assert parsed.kind.value == kind, (path.name, index, item.deadline_text)
            assert (parsed.due_date.isoformat() if parsed.due_date else None) == due
