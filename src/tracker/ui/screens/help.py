"""The help screen: every key of the app, in Chinese."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker.ui.tones import Tone

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "目录（左侧树）",
        (
            ("↑ ↓ / k j", "上下移动"),
            ("→", "展开；已展开时进入下一级"),
            ("←", "收起；已收起时回到上一级"),
            ("Enter", "展开/收起；在具体任务上进入进展情况（光标在末尾）"),
            ("直接输入", "具体任务上写入进展情况，其他节点上放入搜索框"),
            ("空格", "展开/收起"),
            ("Shift+↑ ↓", "跳到上一个/下一个同级节点"),
        ),
    ),
    (
        "状态（在目录或状态框中）",
        (
            ("1", "未启动"),
            ("2", "推进中"),
            ("3", "已完成"),
            ("4", "持续推进（及时公开、长期坚持等常态工作）"),
            ("5", "暂缓/受阻"),
            ("s", "依次切换状态"),
            ("r", "常态工作：记录本期已检查"),
            ("", "单独按下才设置状态；改后提示，Ctrl+Z 撤销"),
        ),
    ),
    (
        "窗格",
        (
            ("Tab / Shift+Tab", "在目录、具体内容、状态、进展情况之间切换"),
            ("Esc", "回到目录"),
            ("Ctrl+S", "立即保存进展情况（平时停顿约半秒即自动保存）"),
            ("Ctrl+Home / End", "进展情况中跳到开头/末尾（加 Shift 为选择）"),
            ("F2", "放大/还原进展情况"),
        ),
    ),
    (
        "查找与筛选",
        (
            ("/", "搜索（内容、重点工作任务、单位、进展情况；拼音首字母找单位，如 fgj）"),
            ("m", "在「我的单位」与「全部」之间切换"),
            ("u", "选择我的单位（会记住）"),
            ("f", "按状态、预警（逾期/临期）筛选"),
            ("x", "清除所有筛选"),
            ("d", "按完成时限列出未完成的任务"),
            ("o", "进度总览（按工作任务、按单位）"),
            ("U", "责任单位一览，Enter 只看该单位；集合单位未设成员时标出「未设成员」"),
            ("U 中 m", "设置集合单位的成员（具体单位上：所属的集合单位），勾选即保存"),
            ("b", "填报情况：本类任务 × 责任单位，谁还没填报（v 切换为单位 × 状态，a 本类/全部）"),
        ),
    ),
    (
        "历史",
        (
            ("h", "本任务的修改历史"),
            ("Ctrl+Z", "撤销本次打开后的上一处修改（在进展情况中为撤销输入）"),
            ("Ctrl+Y", "重做"),
        ),
    ),
    (
        "合并",
        (
            ("M", "合并其他经办人或各单位的快照（可填多个文件或一个文件夹）"),
            ("C", "合并冲突：o 保留本机，t 保留对方，b 两者都保留（进展情况）"),
        ),
    ),
    (
        "其他",
        (
            ("p", "切换分工表（数据库中有多份时，如 2023、2024 年）"),
            ("e", "导出 SQLite 快照（上报、存档或在其他电脑合并）"),
            ("L", "导出工作台账 xlsx/csv（可打印，交各单位填写后用 import-ledger 导入）"),
            ("R", "进展报告：总结、按工作任务和单位统计、逾期和临期清单（c 复制，s 保存）"),
            ("t", "切换深色/浅色主题（会记住）"),
            ("? / F1", "本帮助"),
            ("q / Ctrl+Q", "保存并退出"),
        ),
    ),
)
"""Every key, grouped as a clerk thinks of them; the README's key table says the same."""


def keys_table() -> Table:
    """The key list as a Rich table."""
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column(style=f"bold {Tone.INFO}", no_wrap=True, min_width=15)
    table.add_column(ratio=1, overflow="fold")
    for group, keys in KEYS:
        table.add_row("", Text(group, style="bold underline"))
        for key, meaning in keys:
            table.add_row(Text(key), Text(meaning))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Esc, q, ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "关闭", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog") as dialog:
            dialog.border_title = "按键说明"
            dialog.border_subtitle = "Esc 关闭"
            yield Static(keys_table(), id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
