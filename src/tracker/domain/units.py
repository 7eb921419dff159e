"""Responsible units (责任单位): parse a cell into unit mentions, and classify the units.

A 责任单位 cell such as ``区发改局、区经信局、区自然资源局等部门（单位），各乡镇街委。`` names
*concrete* units (区发改局, 通川生态环境局, ...) and *collective* units standing for many
(各乡镇街委, 区政府工作部门, ...). :func:`parse_units` turns a cell into
:class:`UnitMention` values with each unit's canonical name, its kind and its role (牵头 or
配合); :func:`classify` and :func:`default_collectives` tell which collectives a concrete unit
belongs to when nothing has been configured; :func:`pinyin_initials` and
:func:`matches_initials` let a clerk find a unit by typing ``fgj`` for 区发改局.

Names are compared in NFKC form, but keep the full-width brackets the clerks write:
``区级各部门(单位)`` and ``区级各部门（单位）`` are one unit, named ``区级各部门（单位）``.

Nothing here knows about SQLite or the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class UnitKind(StrEnum):
    """Whether a unit is one office or stands for many."""

    CONCRETE = "concrete"
    COLLECTIVE = "collective"


class Role(StrEnum):
    """A unit's role in an item: it leads (牵头) or cooperates (配合)."""

    LEAD = "lead"
    COOPERATING = "cooperating"

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.LEAD: "牵头",
    Role.COOPERATING: "配合",
}


class UnitMention(BaseModel):
    """One unit named in a 责任单位 cell."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    """The unit's canonical name, e.g. ``区发改局`` or ``区级各部门（单位）``."""
    kind: UnitKind
    """Whether the unit is concrete or collective (see :func:`classify`)."""
    role: Role
    """Whether the unit leads the item or cooperates."""
    position: int = Field(ge=0)
    """The unit's 0-based place among the cell's units (after duplicates are dropped)."""


# --- Collectives -------------------------------------------------------------------------

TOWNSHIPS = "各乡镇街委"
"""The collective of every township (乡镇) and sub-district (街道)."""

COLLECTIVES: dict[str, str] = {
    TOWNSHIPS: "全区每个乡镇和街道",
    "区政府工作部门": "区政府的各工作部门",
    "区级各部门（单位）": "全部区级部门和单位",
    "区政府相关工作部门": "与该项工作相关的区政府工作部门",
    "区级有关部门（单位）": "与该项工作有关的区级部门和单位",
    "各级各部门（单位）": "各级各部门和单位（区级部门及各乡镇街道）",
    "被审计区级部门（单位）": "被审计的区级部门和单位（须另行指定）",
    "牵头职能部门": "负责该项工作的牵头职能部门（须另行指定）",
}
"""The known collective units: canonical name → short Chinese description."""

ALIASES: dict[str, str] = {}
"""Built-in aliases: none. Names are kept as each plan writes them (各乡镇街道 stays
各乡镇街道); true synonyms are merged by the clerk's alias table (``tracker units alias``,
the ``unit_aliases`` table), passed to :func:`parse_units`."""

ALL_DEPARTMENTS: frozenset[str] = frozenset(
    {
        "区政府工作部门",
        "区级各部门（单位）",
        "区政府相关工作部门",
        "区级有关部门（单位）",
        "各级各部门（单位）",
    }
)
"""The collectives every district department belongs to by default."""

ALL_TOWNSHIPS: frozenset[str] = frozenset({TOWNSHIPS, "各级各部门（单位）"})
"""The collectives every township and sub-district belongs to by default."""

_COLLECTIVE_WORDING = re.compile(
    r"(?:有关|相关|其他|其它|所有|各)\w{0,6}?"
    r"(?:部门|单位|科室|处室|股室|专班|县|乡镇|街道|镇|政府|管委会|机构)"
    r"|^(?:各)?(?:功能区|开发区|园区)管委会$"
)
_PLACE_PREFIXES = ("区", "市", "县", "省", "镇", "乡", "通川", "全区", "全市")
_INTERNAL_SUFFIXES = ("科", "股", "室", "处", "组")
_TOWNSHIP_SUFFIXES = (
    "镇",
    "乡",
    "街道",
    "街委",
    "街道办",
    "办事处",
    "镇人民政府",
    "乡人民政府",
    "镇政府",
    "乡政府",
)
_HIGHER_LEVEL_PREFIXES = ("市", "达州", "省", "四川", "国家", "中央")
_AGENCY_SUFFIXES = (
    "局",
    "办",
    "委",
    "中心",
    "馆",
    "所",
    "队",
    "院",
    "站",
    "室",
    "会",
    "部",
    "处",
)


# --- Names --------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def _clean(text: str) -> str:
    """NFKC, no whitespace or invisible characters, full-width round brackets."""
    text = unicodedata.normalize("NFKC", text)
    kept = (
        ch
        for ch in text
        if not ch.isspace() and unicodedata.category(ch) not in {"Cc", "Cf", "Zs", "Zl", "Zp"}
    )
    return "".join(kept).translate(_BRACKETS)


def canonical_name(name: str) -> str:
    """A unit's canonical name: cleaned, without a final ``。``/``.``, aliases resolved.

    Cleaning applies NFKC, removes whitespace and invisible characters, and writes round
    brackets full-width, so ``区级各部门 (单位)`` becomes ``区级各部门（单位）``; aliases of the
    known collectives (:data:`ALIASES`) map to their canonical name, e.g. ``各乡镇街道`` →
    ``各乡镇街委``.
    """
    cleaned = _clean(name).rstrip(".。")
    return ALIASES.get(cleaned, cleaned)


def classify(name: str) -> UnitKind:
    """Whether a unit name denotes one unit or many.

    A name is collective when it is a known collective (:data:`COLLECTIVES`, aliases
    included) or its wording clearly denotes many units: it starts with ``各``, contains
    ``被审计``, or contains ``有关``/``相关``/``其他``/``所有``/``各`` followed (within a few
    characters) by ``部门`` or ``单位`` (``区政府相关工作部门``, ``全区各单位``). Every other
    name is concrete.
    """
    name = canonical_name(name)
    if (
        name in COLLECTIVES
        or name.startswith("各")
        or "被审计" in name
        or _COLLECTIVE_WORDING.search(name)
    ):
        return UnitKind.COLLECTIVE
    return UnitKind.CONCRETE


def is_township(name: str) -> bool:
    """Whether a concrete unit is a township or sub-district (乡镇、街道).

    That is, its name ends with 镇, 乡, 街道, 街委, 街道办 or 镇/乡人民政府 (北山镇, 东城街道), or
    with 办事处 unless it is a district office (``区政府驻成都办事处`` is not a township).
    """
    name = canonical_name(name)
    if classify(name) is UnitKind.COLLECTIVE:
        return False
    if name.endswith("办事处"):
        return not name.startswith("区") and not name.startswith("通川")
    return name.endswith(_TOWNSHIP_SUFFIXES)


def is_district_department(name: str) -> bool:
    """Whether a concrete unit is one of the district's departments or units (区级部门).

    That is a concrete unit that is not a township and either starts with ``区`` or
    ``通川`` (区发改局, 通川生态环境局), or ends like an agency (局, 办, 委, 中心, 馆, 所, 队,
    院, 站, 室, 会, 部, 处) without a higher-level prefix (市, 达州, 省, 四川, 国家, 中央).
    """
    name = canonical_name(name)
    if classify(name) is UnitKind.COLLECTIVE or is_township(name):
        return False
    if name.startswith(("区", "通川")):
        return True
    return name.endswith(_AGENCY_SUFFIXES) and not name.startswith(_HIGHER_LEVEL_PREFIXES)


def default_collectives(name: str) -> set[str]:
    """The collectives a unit belongs to when nothing has been configured.

    - A township or sub-district (see :func:`is_township`, e.g. 北山镇, 东城街道) belongs to
      各乡镇街委 and 各级各部门（单位）.
    - A district department (see :func:`is_district_department`, e.g. 区发改局,
      通川生态环境局, 区政府信息公开管理中心) belongs to 区政府工作部门, 区级各部门（单位）,
      区政府相关工作部门, 区级有关部门（单位） and 各级各部门（单位）.
    - 被审计区级部门（单位） and 牵头职能部门 have no default members: which units they stand
      for differs from item to item and must be configured.
    - Collective units, and concrete units of neither kind (e.g. a city bureau), belong to
      none.

    Returns:
        A new set of canonical collective names (the caller may change it).
    """
    if is_township(name):
        return set(ALL_TOWNSHIPS)
    if is_district_department(name):
        return set(ALL_DEPARTMENTS)
    return set()


def unit_level(name: str) -> str | None:
    """Which level a concrete unit belongs to, for default memberships.

    ``township`` (北山镇, 东城街道), ``internal`` (an office inside one bureau: 办公室,
    财务科, 政工科 — a name without a place prefix ending in 科/股/室/处/组), ``district``
    (区发改局, 通川生态环境局), ``city`` (市财政局), ``county`` (XX县, XX县人民政府), or None.
    """
    name = canonical_name(name)
    if classify(name) is UnitKind.COLLECTIVE:
        return None
    if is_township(name):
        return "township"
    if name.endswith(_INTERNAL_SUFFIXES) and not name.startswith(_PLACE_PREFIXES):
        return "internal"
    if name.endswith(("县", "县人民政府", "县政府")) and not name.startswith(("市", "区")):
        return "county"
    if name.startswith("市") and name.endswith(_AGENCY_SUFFIXES):
        return "city"
    if is_district_department(name):
        return "district"
    return None


def collective_levels(name: str) -> frozenset[str]:
    """The levels whose concrete units a collective stands for by default (its form
    tells): 科室/股室/处室 → ``internal``; 乡镇/街道/镇 → ``township``; 县 → ``county``;
    市直/市级/市政府/全市 or starting with 市 → ``city``; 区直/区级/区政府/全区 or starting
    with 区, or a known district collective → ``district``; 各级… → district and
    township. Collectives whose members differ from item to item (被审计…, 牵头职能部门)
    and vague ones (各有关单位) have none: the clerk names them (``tracker units join``).
    """
    name = canonical_name(name)
    if "被审计" in name or name == "牵头职能部门" or name.endswith(("专班", "小组")):
        return frozenset()  # differ from item to item, or are not offices at all
    if name.startswith("各级"):
        return frozenset({"district", "township"})
    if any(word in name for word in ("科室", "股室", "处室")):
        return frozenset({"internal"})
    if any(word in name for word in ("乡镇", "街道", "街委", "镇（", "各镇", "各乡")):
        return frozenset({"township"})
    if "县" in name:
        return frozenset({"county"})
    if name.startswith("市") or any(word in name for word in _CITY_WORDS):
        return frozenset({"city"})
    if (
        name in ALL_DEPARTMENTS
        or name.startswith("区")
        or any(word in name for word in _DISTRICT_WORDS)
    ):
        return frozenset({"district"})
    return frozenset()


_CITY_WORDS = ("市直", "市级", "市政府", "全市", "市属")
_DISTRICT_WORDS = ("区直", "区级", "区政府", "全区", "区属")


# --- Parsing ------------------------------------------------------------------------------

_SEPARATORS = frozenset("、,;。\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SECTION_LABEL = re.compile(
    r"^(牵头单位|牵头部门|牵头|配合单位|配合部门|配合|协办单位|协助单位|参与单位|责任单位|责任部门):"
)
_SECTION_ROLES: dict[str, Role | None] = {
    "牵头单位": Role.LEAD,
    "牵头部门": Role.LEAD,
    "牵头": Role.LEAD,
    "配合单位": Role.COOPERATING,
    "配合部门": Role.COOPERATING,
    "配合": Role.COOPERATING,
    "协办单位": Role.COOPERATING,
    "协助单位": Role.COOPERATING,
    "参与单位": Role.COOPERATING,
    "责任单位": None,
    "责任部门": None,
}
_OWN_MARKER = re.compile(r"（(牵头|配合)(?:单位|部门)?）$")
_GROUP_MARKER = re.compile(r"(牵头|配合)$")
# X负责落实, X分别牵头落实, X按职责分工负责: the duty words are not part of the name.
_DUTY = re.compile(
    r"(?:按照?职责(?:分工)?)?(?:分别)?(?P<role>牵头|配合|协助|协办)?"
    r"(?:负责落实|负责|抓好落实|落实|实施)$"
)
# X等部门（单位）, X等重点部门, X等政府各有关部门, X等市有关单位, X等相关区直部门.
_ETC = re.compile(r"等(?:[^等]{0,10}?(?:部门|单位)(?:（(?:单位|部门)）|和单位|及单位|和部门)?)?$")
_AND_EACH = re.compile(r"(?:和|及|以及)各")
_GENERIC = frozenset({"单位", "部门", "科室", "处室", "股室", "单位（部门）", "部门（单位）"})
"""Words that, after a collective (各科室、单位), widen it rather than name a unit."""
_MARKER_ROLES = {"牵头": Role.LEAD, "配合": Role.COOPERATING, "协助": Role.COOPERATING}
_MARKER_ROLES["协办"] = Role.COOPERATING


def _split(text: str) -> list[str]:
    """Split NFKC cell text at separators outside (full-width) round brackets.

    A separator inside balanced brackets (``各乡镇（街道、园区）``) does not split; if the
    brackets are unbalanced anywhere, every separator splits.
    """
    every = text.translate(dict.fromkeys(map(ord, _SEPARATORS), "、")).split("、")
    if not any(ch in text for ch in "（〔）〕"):
        return every  # no brackets (most cells): every separator splits
    depth = 0
    for ch in re.findall("[（〔）〕]", text):
        depth += 1 if ch in "（〔" else -1
        if depth < 0:
            break
    if depth != 0:
        return every  # unbalanced somewhere: every separator splits
    # Separators kept (re.split with a group): one inside brackets stays in its token.
    pieces = re.split(f"([{re.escape(''.join(sorted(_SEPARATORS)))}])", text)
    tokens: list[str] = []
    current = ""
    for i in range(0, len(pieces), 2):
        piece = pieces[i]
        current += piece
        depth += piece.count("（") + piece.count("〔") - piece.count("）") - piece.count("〕")
        if i + 1 < len(pieces):
            if depth == 0:
                tokens.append(current)
                current = ""
            else:
                current += pieces[i + 1]
    tokens.append(current)
    return tokens


def _strip_token(token: str) -> tuple[str, Role | None, Role | None]:
    """A token's name, its own role marker (``X（牵头）``) and its group marker (``X、Y牵头``)."""
    own: Role | None = None
    group: Role | None = None
    name = token.rstrip(".")
    while True:
        before = name
        if (match := _DUTY.search(name)) and match.start() > 0:
            if match.group("role"):
                group = group or _MARKER_ROLES.get(match.group("role"), Role.COOPERATING)
            name = name[: match.start()]
        elif match := _OWN_MARKER.search(name):
            own = own or _MARKER_ROLES[match.group(1)]
            name = name[: match.start()]
        elif match := _GROUP_MARKER.search(name):
            group = group or _MARKER_ROLES[match.group(1)]
            name = name[: match.start()]
            if name.startswith("由"):
                name = name[1:]
        elif match := _ETC.search(name):
            name = name[: match.start()]
        name = name.rstrip(".")
        if name == before:
            return name, own, group


@lru_cache(maxsize=8192)
def _token(raw: str) -> tuple[str, str, Role | None, Role | None]:
    """A split token's section label (``牵头单位``…, or ``""``), name, own and group
    markers: cells repeat the same few unit names, so each is cleaned once."""
    token = _clean(raw)
    section = ""
    if label := _SECTION_LABEL.match(token):
        section = label.group(1)
        token = token[label.end() :]
    return (section, *_strip_token(token))


@lru_cache(maxsize=8192)
def _kind(name: str) -> UnitKind:
    """:func:`classify`, once per distinct name."""
    return classify(name)


@lru_cache(maxsize=8192)
def _mention(name: str, role: Role, position: int) -> UnitMention:
    """A (frozen) mention, validated once per distinct name, role and place."""
    return UnitMention(name=name, kind=_kind(name), role=role, position=position)


def parse_units(text: str, aliases: dict[str, str] | None = None) -> list[UnitMention]:
    """The units named in a 责任单位 cell, in the order written.

    The cell is split at ``、``, ``，``, ``,``, ``；``, ``;``, ``。`` and line breaks (not inside
    round brackets); whitespace and a final ``。``/``.`` are dropped, and each name is made
    canonical (see :func:`canonical_name`). ``X等部门（单位）``, ``X等部门``, ``X等单位`` and
    ``X等`` name the concrete unit X. Empty tokens are dropped, and a unit named twice is kept
    once, at its first place.

    Roles: where the text marks them, marked leads lead and every other unit cooperates;
    otherwise the first-listed unit leads (the first not marked 配合, if any) and the rest
    cooperate. The markers understood are:

    - ``X牵头，Y配合`` and ``X牵头、Y、Z配合``: a trailing 牵头/配合 marks its unit and the
      unmarked units listed since the previous marker (so ``X、Y牵头`` has two leads);
    - ``X（牵头）`` / ``X（配合）``: marks that unit alone;
    - ``牵头单位：X；责任单位：Y`` and ``牵头单位：X；配合单位：Y、Z``: a label marks the units
      after it up to the next label (``责任单位``/``责任部门`` leave them unmarked).

    Markers and labels are not part of the names.

    Args:
        text: The cell's text, exactly as in the plan.

    Returns:
        The mentions, with positions 0, 1, 2, ... in order; empty when the cell names none.
    """
    names: list[str] = []
    marks: list[Role | None] = []
    pending: list[int] = []  # unmarked tokens a following group marker applies to
    section: Role | None = None
    normalised = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    # X和各Y / X及各Y: 和 and 及 join a collective on (not inside 发展和改革局).
    normalised = _AND_EACH.sub("、各", normalised)
    for raw in _split(normalised):
        label, name, own, group = _token(raw)
        if label:
            section = _SECTION_ROLES[label]
            pending = []
        if name in _GENERIC and names and names[-1].startswith("各") and not label:
            names[-1] = f"{names[-1]}、{name}"  # 各科室、单位: one collective
            if group is not None:
                for i in [*pending, len(names) - 1]:
                    if marks[i] is None:
                        marks[i] = group
                pending = []
            continue
        index = len(names)
        names.append(name)
        marks.append(own or section)
        if group is not None:
            for i in [*pending, index]:
                if marks[i] is None:
                    marks[i] = group
            pending = []
        elif marks[index] is None:
            pending.append(index)

    # Drop empty names and duplicates; a unit marked 牵头 anywhere leads.
    order: list[str] = []
    merged: dict[str, Role | None] = {}
    for name, mark in zip(names, marks, strict=True):
        if not any(ch.isalnum() for ch in name):
            continue
        canonical = (aliases or ALIASES).get(name, name)
        if canonical not in merged:
            order.append(canonical)
            merged[canonical] = mark
        elif mark is Role.LEAD or merged[canonical] is None:
            merged[canonical] = mark
    if not order:
        return []

    if not any(merged[n] is Role.LEAD for n in order):
        first = next((n for n in order if merged[n] is None), order[0])
        merged[first] = Role.LEAD
    return [
        _mention(name, Role.LEAD if merged[name] is Role.LEAD else Role.COOPERATING, position)
        for position, name in enumerate(order)
    ]


def all_units(cells: Iterable[str]) -> list[tuple[str, UnitKind]]:
    """The distinct units named in many cells, as ``(name, kind)`` in first-seen order."""
    seen: dict[str, UnitKind] = {}
    for cell in cells:
        for mention in parse_units(cell):
            seen.setdefault(mention.name, mention.kind)
    return list(seen.items())


# --- Pinyin -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def pinyin_initials(name: str) -> str:
    """The lower-case pinyin initials of a name's Han characters: 区发改局 → ``qfgj``.

    Each Han character gives the first letter of its default reading (pypinyin picks the
    reading from the phrase, e.g. 行政 → ``xz``); ASCII letters and digits (after NFKC) are
    kept, lower-cased; everything else (brackets, punctuation) is ignored.

    Raises:
        ImportError: The optional ``pypinyin`` package is not installed.
    """
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pinyin_initials needs the 'pypinyin' package (pip install pypinyin)"
        ) from error

    def other(chars: str) -> str:
        return "".join(ch.lower() for ch in chars if ch.isascii() and ch.isalnum())

    text = unicodedata.normalize("NFKC", name)
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=other)).lower()


def matches_initials(name: str, query: str) -> bool:
    """Whether a typed query finds a unit by its pinyin initials.

    True when the query (lower-cased, whitespace removed) is a substring of the name's
    initials (:func:`pinyin_initials`) or, for a name starting with ``区``, of the initials
    without their leading ``q``: ``fgj`` and ``qfgj`` both find 区发改局. An empty query
    matches every name.
    """
    query = "".join(query.split()).lower()
    initials = pinyin_initials(name)
    if query in initials:
        return True
    return name.startswith("区") and initials.startswith("q") and query in initials[1:]
