"""The benchmark's synthetic plans: they parse to exactly the items asked for, with every
deadline kind and form, several plans, and the app's newest plan holding the most."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from tracker.domain.deadlines import parse_deadline
from tracker.domain.units import parse_units
from tracker.importers.parser import read_plan_file

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402


@pytest.mark.parametrize("size", [47, 1_000])
def test_generated_plans_parse_to_exactly_n_items(tmp_path: Path, size: int) -> None:
    paths = generate.write_plans(size, tmp_path)
    plans = [read_plan_file(path) for path in paths]

    assert sum(plan.item_count for plan in plans) == size
    assert len({plan.id for plan in plans}) == len(plans)
    if size > 100:
        assert len(plans) >= 3  # several plans
    # The plan the app opens (newest year, then title) is the biggest.
    opened = sorted(plans, key=lambda p: (-p.year, p.title))[0]
    assert opened.item_count == max(plan.item_count for plan in plans)
    for plan in plans:
        assert len(plan.categories) == 5
        assert all(len(c.key_tasks) == 4 for c in plan.categories)


@pytest.mark.parametrize("size", [47, 1_000])
def test_every_deadline_kind_and_form_occurs(tmp_path: Path, size: int) -> None:
    plans = [read_plan_file(path) for path in generate.write_plans(size, tmp_path)]
    kinds: Counter[str] = Counter()
    texts: set[str] = set()
    for plan in plans:
        for category in plan.categories:
            for key_task in category.key_tasks:
                for item in key_task.items:
                    texts.add(item.deadline_text)
                    kinds[parse_deadline(item.deadline_text, plan.year).kind.value] += 1

    assert set(kinds) == set(generate.DEADLINE_KINDS)
    main = plans[0]
    expected = {form.format(y=main.year, p=main.year - 1) for form, _ in generate.DEADLINE_FORMS}
    assert expected <= texts


def test_units_cells_mix_concrete_units_and_collectives(tmp_path: Path) -> None:
    plan = read_plan_file(generate.write_plans(1_000, tmp_path)[0])
    kinds: Counter[str] = Counter()
    for category in plan.categories:
        for key_task in category.key_tasks:
            for item in key_task.items:
                kinds.update(mention.kind.value for mention in parse_units(item.units_text))
    assert kinds["concrete"] > 0
    assert kinds["collective"] > 0


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = generate.write_plans(1_000, tmp_path / "a")
    second = generate.write_plans(1_000, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.name for p in first] == [p.name for p in second]


def test_import_file_has_the_requested_size(tmp_path: Path) -> None:
    path = generate.write_import_plan(tmp_path, size=500)
    assert read_plan_file(path).item_count == 500
