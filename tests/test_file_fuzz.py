"""Fuzz the file side: hostile plan files and returned ledgers (issue 14).

Bounded and derandomised here so CI is fast and repeatable; ``bench/fuzz_files.py`` runs
the same strategies for thousands of examples. Files that broke something are kept in
``tests/fixtures/hostile/`` (see ``tests/crafted.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import fuzz_files
import pytest
from hypothesis import HealthCheck, given, settings

from tracker.store.locations import bundled_plan_path

CI = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PLAN_BASES = fuzz_files.plan_bases()
_FOLDER = fuzz_files.scratch()
TEMPLATE_DB, LEDGER_BASES = fuzz_files.ledger_template(_FOLDER, bundled_plan_path())


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch() -> Iterator[None]:
    yield
    shutil.rmtree(_FOLDER, ignore_errors=True)


@CI
@given(fuzz_files.hostile_files(PLAN_BASES))
def test_plan_files_are_read_or_refused(file: tuple[str, bytes]) -> None:
    folder = fuzz_files.scratch()
    try:
        fuzz_files.check_plan_file(folder, *file, TEMPLATE_DB)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@CI
@given(fuzz_files.hostile_files(LEDGER_BASES))
def test_ledger_files_are_imported_or_change_nothing(file: tuple[str, bytes]) -> None:
    folder = fuzz_files.scratch()
    try:
        fuzz_files.check_ledger_file(folder, *file, TEMPLATE_DB)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_bases_are_accepted() -> None:
    """The strategies start from files that do import (else every example is a refusal)."""
    folder = fuzz_files.scratch()
    try:
        for suffix, data in PLAN_BASES.items():
            assert fuzz_files.check_plan_file(folder, suffix, data, TEMPLATE_DB), suffix
        for suffix, data in LEDGER_BASES.items():
            assert fuzz_files.check_ledger_file(folder, suffix, data, TEMPLATE_DB), suffix
    finally:
        shutil.rmtree(folder, ignore_errors=True)
