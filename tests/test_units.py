"""Responsible units: the seed's 责任单位 cells, role markers, collectives, pinyin search."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.units import (
    ALIASES,
    COLLECTIVES,
    Role,
    UnitKind,
    UnitMention,
    all_units,
    canonical_name,
    classify,
    default_collectives,
    matches_initials,
    parse_units,
    pinyin_initials,
)
from tracker.importers.parser import read_plan_file
from tracker.store.locations import bundled_plan_path

DEPARTMENT_DEFAULTS = {
    "区政府工作部门",
    "区级各部门（单位）",
    "区政府相关工作部门",
    "区级有关部门（单位）",
    "各级各部门（单位）",
}
TOWNSHIP_DEFAULTS = {"各乡镇街委", "各级各部门（单位）"}

SEED_CONCRETE_COUNT = 39
SEED_COLLECTIVES = {
    "各乡镇街委",
    "区政府工作部门",
    "区级各部门（单位）",
    "区政府相关工作部门",
    "被审计区级部门（单位）",
    "牵头职能部门",
}


@pytest.fixture(scope="module")
def seed_cells() -> list[str]:
    """Every 责任单位 cell of the bundled 2023 plan, in plan order."""
    plan = read_plan_file(bundled_plan_path())
    return [i.units_text for c in plan.categories for k in c.key_tasks for i in k.items]


def summary(text: str) -> list[tuple[str, Role, UnitKind]]:
    """The parsed cell as ``(name, role, kind)`` tuples, in order."""
    return [(m.name, m.role, m.kind) for m in parse_units(text)]


def names(text: str) -> list[str]:
    return [m.name for m in parse_units(text)]


def leads(text: str) -> list[str]:
    return [m.name for m in parse_units(text) if m.role is Role.LEAD]


# --- The seed ------------------------------------------------------------------------------


def test_every_seed_cell_parses(seed_cells: list[str]) -> None:
    assert seed_cells
    for cell in seed_cells:
        mentions = parse_units(cell)
        assert mentions, cell
        assert [m.position for m in mentions] == list(range(len(mentions)))
        assert sum(m.role is Role.LEAD for m in mentions) == 1, cell
        assert mentions[0].role is Role.LEAD
        for m in mentions:
            assert m.name
            assert m.name == m.name.strip()
            for bad in ("、", "，", ",", "。", "；", "等部门", "等单位"):
                assert bad not in m.name, (cell, m.name)
            assert not m.name.endswith("等")


def test_first_seed_item(seed_cells: list[str]) -> None:
    assert seed_cells[0] == "区发改局、区经信局、区自然资源局等部门（单位），各乡镇街委。"
    assert summary(seed_cells[0]) == [
        ("区发改局", Role.LEAD, UnitKind.CONCRETE),
        ("区经信局", Role.COOPERATING, UnitKind.CONCRETE),
        ("区自然资源局", Role.COOPERATING, UnitKind.CONCRETE),
        ("各乡镇街委", Role.COOPERATING, UnitKind.COLLECTIVE),
    ]


def test_seed_units(seed_cells: list[str]) -> None:
    units = all_units(seed_cells)
    assert len({name for name, _ in units}) == len(units)
    concrete = [name for name, kind in units if kind is UnitKind.CONCRETE]
    collective = {name for name, kind in units if kind is UnitKind.COLLECTIVE}
    assert len(concrete) == SEED_CONCRETE_COUNT
    for expected in (
        "区发改局",
        "通川生态环境局",
        "区政府信息公开管理中心",
        "区保密局",
        "区税务局",
        "区公共资源交易中心",
        "区政府办公室",
    ):
        assert expected in concrete
    assert concrete[:3] == ["区发改局", "区经信局", "区自然资源局"]
    assert collective == SEED_COLLECTIVES
    assert collective <= COLLECTIVES.keys()
    # Every concrete unit of the seed is a district department.
    for name in concrete:
        assert default_collectives(name) == DEPARTMENT_DEFAULTS, name


# --- Cells -----------------------------------------------------------------------------------


def test_collectives_only() -> None:
    assert summary("区政府工作部门、各乡镇街委。") == [
        ("区政府工作部门", Role.LEAD, UnitKind.COLLECTIVE),
        ("各乡镇街委", Role.COOPERATING, UnitKind.COLLECTIVE),
    ]


def test_audit_cell() -> None:
    assert summary("区审计局、被审计区级部门（单位），各乡镇街委。") == [
        ("区审计局", Role.LEAD, UnitKind.CONCRETE),
        ("被审计区级部门（单位）", Role.COOPERATING, UnitKind.COLLECTIVE),
        ("各乡镇街委", Role.COOPERATING, UnitKind.COLLECTIVE),
    ]


def test_single_unit_without_full_stop() -> None:
    assert summary("区政府办公室") == [("区政府办公室", Role.LEAD, UnitKind.CONCRETE)]
    assert summary("牵头职能部门。") == [("牵头职能部门", Role.LEAD, UnitKind.COLLECTIVE)]


@pytest.mark.parametrize(
    "text",
    [
        "区发改局等部门（单位）",
        "区发改局等部门(单位)",
        "区发改局等部门",
        "区发改局等单位",
        "区发改局等",
        "区发改局等有关部门",
        " 区发改局 . ",
        "区发改局。",
        "区发改局.",
    ],
)
def test_etc_and_final_stop(text: str) -> None:
    assert summary(text) == [("区发改局", Role.LEAD, UnitKind.CONCRETE)]


@pytest.mark.parametrize(
    "text",
    [
        "区发改局、区财政局、各乡镇街委",
        "区发改局，区财政局，各乡镇街委",
        "区发改局,区财政局, 各乡镇街委",
        "区发改局；区财政局;各乡镇街委",
        "区发改局\n区财政局\r\n各乡镇街委",
        "区发改局、、区财政局，，各乡镇街委。。",
        "  区发改局 、 区财政局 ，\u3000各乡镇街委 。",
    ],
)
def test_separators(text: str) -> None:
    assert names(text) == ["区发改局", "区财政局", "各乡镇街委"]


def test_half_width_brackets_give_one_name() -> None:
    assert names("区级各部门(单位)") == ["区级各部门（单位）"]
    assert names("区级各部门（单位）") == ["区级各部门（单位）"]
    assert names("区财政局、区级各部门 ( 单位 )，各乡镇街委。") == [
        "区财政局",
        "区级各部门（单位）",
        "各乡镇街委",
    ]
    assert classify("被审计区级部门(单位)") is UnitKind.COLLECTIVE
    assert canonical_name("被审计区级部门(单位)") == "被审计区级部门（单位）"


def test_duplicates_kept_once() -> None:
    mentions = parse_units("区发改局、区财政局、区发改局等部门（单位），各乡镇街委、各乡镇街道。")
    assert [(m.name, m.position) for m in mentions] == [
        ("区发改局", 0),
        ("区财政局", 1),
        ("各乡镇街委", 2),
        ("各乡镇街道", 3),  # another plan's wording stays as written
    ]
    assert names("区级各部门(单位)，区级各部门（单位）") == ["区级各部门（单位）"]


def test_empty_cells() -> None:
    for text in ("", "   ", "。", "、，；", "\n\n", "等", "牵头"):
        assert parse_units(text) == []


def test_names_are_kept_as_written_and_aliases_come_from_the_clerk() -> None:
    assert names("各乡镇（街道）") == ["各乡镇（街道）"]
    assert names("各乡镇(街道)") == ["各乡镇（街道）"]  # bracket width only
    assert names("各乡镇街道") == ["各乡镇街道"]
    assert ALIASES == {}
    aliases = {"各乡镇（街道）": "各乡镇街委", "区级各部门": "区级各部门（单位）"}
    assert [m.name for m in parse_units("各乡镇（街道），区级各部门", aliases)] == [
        "各乡镇街委",
        "区级各部门（单位）",
    ]
    assert all(target in COLLECTIVES for target in aliases.values())


# --- Roles -----------------------------------------------------------------------------------


def test_first_listed_leads_by_default() -> None:
    assert leads("区财政局、区发改局，各乡镇街委。") == ["区财政局"]
    assert leads("区政府工作部门，各乡镇街委。") == ["区政府工作部门"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "区发改局牵头，区财政局配合",
            [("区发改局", Role.LEAD), ("区财政局", Role.COOPERATING)],
        ),
        (
            "区发改局牵头、区财政局、区税务局配合。",
            [
                ("区发改局", Role.LEAD),
                ("区财政局", Role.COOPERATING),
                ("区税务局", Role.COOPERATING),
            ],
        ),
        (
            "区财政局、区发改局（牵头）、各乡镇街委",
            [
                ("区财政局", Role.COOPERATING),
                ("区发改局", Role.LEAD),
                ("各乡镇街委", Role.COOPERATING),
            ],
        ),
        (
            "区财政局、区发改局(牵头)",
            [("区财政局", Role.COOPERATING), ("区发改局", Role.LEAD)],
        ),
        (
            "牵头单位：区发改局；责任单位：区财政局、各乡镇街委。",
            [
                ("区发改局", Role.LEAD),
                ("区财政局", Role.COOPERATING),
                ("各乡镇街委", Role.COOPERATING),
            ],
        ),
        (
            "牵头单位：区发改局；配合单位：区财政局、区税务局。",
            [
                ("区发改局", Role.LEAD),
                ("区财政局", Role.COOPERATING),
                ("区税务局", Role.COOPERATING),
            ],
        ),
        (
            "配合单位:区财政局;牵头单位:区发改局",
            [("区财政局", Role.COOPERATING), ("区发改局", Role.LEAD)],
        ),
        (
            "区发改局、区财政局牵头，区税务局配合",
            [
                ("区发改局", Role.LEAD),
                ("区财政局", Role.LEAD),
                ("区税务局", Role.COOPERATING),
            ],
        ),
        (
            "区发改局、区财政局牵头，区税务局、各乡镇街委",
            [
                ("区发改局", Role.LEAD),
                ("区财政局", Role.LEAD),
                ("区税务局", Role.COOPERATING),
                ("各乡镇街委", Role.COOPERATING),
            ],
        ),
        (
            "区财政局配合，区发改局",
            [("区财政局", Role.COOPERATING), ("区发改局", Role.LEAD)],
        ),
        (
            "区发改局等部门（单位）牵头，各乡镇街委配合。",
            [("区发改局", Role.LEAD), ("各乡镇街委", Role.COOPERATING)],
        ),
    ],
)
def test_explicit_roles(text: str, expected: list[tuple[str, Role]]) -> None:
    assert [(m.name, m.role) for m in parse_units(text)] == expected


def test_marked_lead_wins_over_duplicate() -> None:
    assert [(m.name, m.role) for m in parse_units("区财政局、区发改局、区发改局（牵头）")] == [
        ("区财政局", Role.COOPERATING),
        ("区发改局", Role.LEAD),
    ]


def test_role_labels() -> None:
    assert Role.LEAD.label == "牵头"
    assert Role.COOPERATING.label == "配合"
    assert Role("lead") is Role.LEAD
    assert UnitKind("collective") is UnitKind.COLLECTIVE


def test_mentions_are_frozen() -> None:
    mention = parse_units("区发改局")[0]
    assert mention == UnitMention(
        name="区发改局", kind=UnitKind.CONCRETE, role=Role.LEAD, position=0
    )
    with pytest.raises(ValueError):
        mention.name = "区财政局"  # type: ignore[misc]


# --- Kinds and default membership ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COLLECTIVES))
def test_known_collectives(name: str) -> None:
    assert classify(name) is UnitKind.COLLECTIVE
    assert default_collectives(name) == set()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("各乡镇街委", UnitKind.COLLECTIVE),
        ("各街道", UnitKind.COLLECTIVE),
        ("区级相关单位", UnitKind.COLLECTIVE),
        ("区委有关部门", UnitKind.COLLECTIVE),
        ("全区各单位", UnitKind.COLLECTIVE),
        ("市级相关职能部门", UnitKind.COLLECTIVE),
        ("被审计单位", UnitKind.COLLECTIVE),
        ("区发改局", UnitKind.CONCRETE),
        ("通川生态环境局", UnitKind.CONCRETE),
        ("区机关事务服务中心", UnitKind.CONCRETE),
        ("北山镇", UnitKind.CONCRETE),
        ("东城街道", UnitKind.CONCRETE),
    ],
)
def test_classify(name: str, kind: UnitKind) -> None:
    assert classify(name) is kind


def test_default_collectives() -> None:
    assert default_collectives("区发改局") == DEPARTMENT_DEFAULTS
    assert default_collectives("通川生态环境局") == DEPARTMENT_DEFAULTS
    assert default_collectives("区政府信息公开管理中心") == DEPARTMENT_DEFAULTS
    assert default_collectives("东城街道") == TOWNSHIP_DEFAULTS
    assert default_collectives("北山镇") == TOWNSHIP_DEFAULTS
    assert default_collectives("东城街道办事处") == TOWNSHIP_DEFAULTS
    assert default_collectives("区政府驻成都办事处") == DEPARTMENT_DEFAULTS
    # Configured only: no unit belongs to these by default.
    for name in ("区发改局", "北山镇", "区审计局"):
        assert "被审计区级部门（单位）" not in default_collectives(name)
        assert "牵头职能部门" not in default_collectives(name)
    # Not a district unit.
    assert default_collectives("市发改委") == set()
    # A fresh set each time.
    default_collectives("区发改局").clear()
    assert default_collectives("区发改局") == DEPARTMENT_DEFAULTS


# --- Pinyin ----------------------------------------------------------------------------------


def test_pinyin_initials() -> None:
    assert pinyin_initials("区发改局") == "qfgj"
    assert pinyin_initials("区经信局") == "qjxj"
    assert pinyin_initials("区行政审批局") == "qxzspj"
    assert pinyin_initials("区级各部门（单位）") == "qjgbmdw"
    assert pinyin_initials("通川生态环境局") == "tcsthjj"


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("区发改局", "fgj", True),
        ("区发改局", "qfgj", True),
        ("区发改局", "FGJ", True),
        ("区经信局", "jxj", True),
        ("区发改局", "xyz", False),
        ("区经信局", "xyz", False),
        ("通川生态环境局", "sthj", True),
        ("通川生态环境局", "qsthj", False),
    ],
)
def test_matches_initials(name: str, query: str, expected: bool) -> None:
    assert matches_initials(name, query) is expected


# --- Properties ------------------------------------------------------------------------------

_CELL_ALPHABET = st.sampled_from(
    list("区发改局经信各乡镇街委部门单位等牵头配合被审计有关相关（）()、，,；;：:。. \n\t\u3000由")
)


@given(st.one_of(st.text(), st.text(_CELL_ALPHABET)))
def test_parse_units_never_fails(text: str) -> None:
    mentions = parse_units(text)
    assert [m.position for m in mentions] == list(range(len(mentions)))
    assert len({m.name for m in mentions}) == len(mentions)
    if mentions:
        assert any(m.role is Role.LEAD for m in mentions)
    for m in mentions:
        assert m.name
        assert m.name.strip() == m.name
        assert m.kind is classify(m.name)


# --- Other places' wording -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("市发改委负责落实", [("市发改委", Role.LEAD)]),
        ("市发改委牵头落实", [("市发改委", Role.LEAD)]),
        ("市财政局牵头负责", [("市财政局", Role.LEAD)]),
        (
            "市金融办、人民银行潍坊市中心支行、潍坊银监分局分别牵头落实",
            [
                ("市金融办", Role.LEAD),
                ("人民银行潍坊市中心支行", Role.LEAD),
                ("潍坊银监分局", Role.LEAD),
            ],
        ),
        (
            "区发改委、区商务局按职责分工负责",
            [("区发改委", Role.LEAD), ("区商务局", Role.COOPERATING)],
        ),
        (
            "市人社局、市民政局分别负责落实",
            [("市人社局", Role.LEAD), ("市民政局", Role.COOPERATING)],
        ),
        ("市卫健委等重点部门", [("市卫健委", Role.LEAD)]),
        ("市发改委等政府各有关部门", [("市发改委", Role.LEAD)]),
        (
            "市公安局等市有关单位，各县（市、区）政府",
            [("市公安局", Role.LEAD), ("各县（市、区）政府", Role.COOPERATING)],
        ),
        ("区商务局等相关区直部门", [("区商务局", Role.LEAD)]),
        (
            "办公室牵头，各科室、单位配合",
            [("办公室", Role.LEAD), ("各科室、单位", Role.COOPERATING)],
        ),
    ],
)
def test_duty_words_and_etc_tails_are_not_names(text: str, expected: list) -> None:
    assert [(m.name, m.role) for m in parse_units(text)] == expected


@pytest.mark.parametrize(
    "name",
    [
        "区直有关单位",
        "市直各部门",
        "市政府各有关部门",
        "各县市区人民政府",
        "各县（市、区）",
        "功能区管委会",
        "各科室",
        "相关业务科室",
        "区直各部门",
        "全区经济运行各专班",
        "各乡镇街道",
        "各镇（办）",
    ],
)
def test_collectives_are_recognised_by_their_form(name: str) -> None:
    assert classify(name) is UnitKind.COLLECTIVE


@pytest.mark.parametrize(
    "name", ["市发改委", "人民银行潍坊市中心支行", "立山经济开发区", "莲都经开区管委会", "财务科"]
)
def test_concrete_units_stay_concrete(name: str) -> None:
    assert classify(name) is UnitKind.CONCRETE


@pytest.mark.parametrize(
    ("collective", "member", "joins"),
    [
        ("区直有关单位", "区人力资源社会保障局", True),
        ("区直有关单位", "北山镇", False),
        ("市直各部门", "市财政局", True),
        ("市直各部门", "区财政局", False),
        ("市政府各有关部门", "市审批局", True),
        ("各科室", "财务科", True),
        ("各科室", "办公室", True),
        ("各科室", "区财政局", False),
        ("各乡镇街道", "北山镇", True),
        ("各乡镇街道", "区发改局", False),
        ("各县（市、区）", "某某县", True),
        ("被审计区级部门（单位）", "区发改局", False),
        ("各有关单位", "区发改局", False),
    ],
)
def test_default_members_by_level(collective: str, member: str, joins: bool) -> None:
    from tracker.domain.units import collective_levels, unit_level

    assert (unit_level(member) in collective_levels(collective)) is joins
