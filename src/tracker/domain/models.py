"""The plan as data: a 分工表 parsed into typed models, and the status vocabulary.

Nothing here knows about SQLite or the terminal; the parser produces these models,
the store persists them, and the app shows what the store returns.
"""

from __future__ import annotations

import hashlib
import types
import typing
from datetime import date
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo


class Status(StrEnum):
    """An item's status, stored as a stable code and shown by its Chinese label."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ONGOING = "ongoing"
    ON_HOLD = "on_hold"

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return STATUS_LABELS[self]

    @property
    def seq(self) -> int:
        """Display order, 1-based; also the key that sets it in the app."""
        return list(Status).index(self) + 1

    def next(self) -> Status:
        """The status after this one, wrapping around (the app's cycle key)."""
        members = list(Status)
        return members[(members.index(self) + 1) % len(members)]


STATUS_LABELS: dict[Status, str] = {
    Status.NOT_STARTED: "未启动",
    Status.IN_PROGRESS: "推进中",
    Status.DONE: "已完成",
    # For standing work such as 长期坚持 / 及时公开, which never "finishes".
    Status.ONGOING: "持续推进",
    Status.ON_HOLD: "暂缓/受阻",
}


def stable_id(*parts: str | int) -> str:
    """A deterministic id from the given parts.

    The same plan imported on two machines must give identical ids, so ids are a
    hash of what identifies a row (its parent, its place and its text), never a
    counter or a random value.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:16]


class StoredRecord(BaseModel):
    """A row read back from the database, which anything may have written into.

    A stored value that does not fit its field (a BLOB, NULL, a number, a date that is
    none, an unknown status — from a hand-edited file or an old bug) never raises: the
    field gets a stand-in (the text as far as it reads, the field's default, the first
    member of an enumeration, 0) and its name goes into :attr:`invalid`, so whoever
    shows the record can flag it and carry on.
    """

    model_config = ConfigDict(frozen=True)

    invalid: tuple[str, ...] = Field(default=(), exclude=True, repr=False)
    """The fields whose stored value could not be read (empty for a sound row)."""

    @model_validator(mode="wrap")
    @classmethod
    def _tolerate(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            if not isinstance(data, dict):
                raise
            fixed = dict(data)
            bad: set[str] = set()
            for problem in error.errors():
                name = problem["loc"][0] if problem["loc"] else None
                field = cls.model_fields.get(str(name))
                if field is None or name == "invalid":
                    raise
                bad.add(str(name))
                fixed[str(name)] = _stand_in(field, data.get(str(name)))
            fixed["invalid"] = tuple(sorted(bad))
            return handler(fixed)


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _stand_in(field: FieldInfo, value: object) -> object:
    """What a field holds when its stored value cannot be read."""
    annotation = field.annotation
    options = (
        typing.get_args(annotation)
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        else (annotation,)
    )
    if str in options:
        return as_text(value)
    if not field.is_required():
        return field.get_default(call_default_factory=True)
    if type(None) in options:
        return None
    for option in options:
        if isinstance(option, type) and issubclass(option, Enum):
            return next(iter(option))
        if option in (int, float):
            return 0
    return None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Item(_Frozen):
    """One concrete task: a row of the table."""

    content: str
    """The task's text (具体内容), exactly as in the plan."""
    units_text: str
    """The responsible units cell (责任单位), exactly as in the plan."""
    deadline_text: str
    """The deadline cell (完成时限), exactly as in the plan."""
    line: int = 0
    """The 1-based line of the source file where the row starts (for messages)."""


class KeyTask(_Frozen):
    """A key task (重点工作任务) grouping several items."""

    title: str
    """The key task's title, exactly as in the plan."""
    items: tuple[Item, ...] = ()
    """The key task's items, in plan order."""


class Category(_Frozen):
    """A category (工作任务), numbered by 序号."""

    no: str
    """The 序号 as written in the plan (``1``, ``一``, ...)."""
    title: str
    """The category's title, exactly as in the plan."""
    key_tasks: tuple[KeyTask, ...] = ()
    """The category's key tasks, in plan order."""


class Plan(_Frozen):
    """A whole 分工表."""

    title: str
    """The document's title, e.g. ``2023年全区政务公开工作要点分工表``."""
    year: int = Field(ge=1900, le=2999)
    """The plan's year, taken from the title; dates without a year belong to it."""
    source: str = ""
    """Where the plan came from (a file name)."""
    issued: date | None = None
    """When the plan was issued (the covering notice's date), if the file says; deadlines
    such as ``6个月`` run from it."""
    categories: tuple[Category, ...] = ()
    """The categories, in plan order."""

    @property
    def id(self) -> str:
        """The plan's deterministic id (its title and year)."""
        return stable_id("plan", self.year, self.title)

    @property
    def key_task_count(self) -> int:
        """How many key tasks the plan has."""
        return sum(len(c.key_tasks) for c in self.categories)

    @property
    def item_count(self) -> int:
        """How many items the plan has."""
        return sum(len(k.items) for c in self.categories for k in c.key_tasks)
