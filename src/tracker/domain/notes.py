"""Notes (进展情况) as text: how two versions saved at the same time are kept together.

Below the store, because the store merges a draft that met another window's save,
and the merge of snapshots does the same.
"""

from __future__ import annotations


def merge_notes(theirs: str, ours: str, by: str, when: str) -> str:
    """Both versions of notes saved at the same time in two places, neither dropped.

    Args:
        theirs: What the other window (or clerk) saved meanwhile.
        ours: What was typed here.
        by: The clerk who typed ``ours``.
        when: When (as shown to clerks).
    """
    if not theirs.strip():
        return ours
    if ours == theirs or not ours.strip():
        return theirs
    return f"{theirs}\n\n——以下为 {by} 于 {when} 同时写下的内容（两处修改已合并）——\n{ours}"
