"""Commands to hand the ledger in and gather it: ``export-ledger``, ``import-ledger``, ``report``.

Registered on the main group by :func:`register`, called by :mod:`tracker.cli`. Like
every command they take ``--db``,
``--user``, ``--unit``, ``--today`` and ``--plan`` before or after their name.
"""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.common import Settings, TrackerCommand, common_options, open_store
from tracker.cli.text import echo, require_unit
from tracker.store import ItemFilter, Store
from tracker.store.outfile import export_name

# The ledger (openpyxl) and the report (python-docx) load when their command runs:
# ``tracker`` itself opens the app without them (tests/test_startup.py).

REPORT_FORMATS = ("md", "html", "docx")
"""``--format`` choices: :data:`tracker.services.report.REPORT_FORMATS` (a test keeps
them equal), spelled here so that the command's options need not load the report."""


def _open(settings: Settings) -> tuple[Store, str | None]:
    """The store (today fixed by ``--today``) and the id of the ``--unit`` (if any).

    Raises:
        click.ClickException: for an unknown unit, with suggestions.
    """
    store = open_store(settings)
    if not settings.unit:
        return store, None
    try:
        return store, require_unit(store, settings.unit).id
    except BaseException:
        store.close()
        raise


def _plan_id(store: Store, settings: Settings) -> str:
    """The plan ``--plan`` names (default: the newest, as the app opens it)."""
    return store.resolve_plan(settings.plan).id


def _export_ledger() -> click.Command:
    @click.command("export-ledger", cls=TrackerCommand)
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path), required=False)
    @click.option("--force", is_flag=True, help="覆盖已存在的文件")
    @common_options
    def export_ledger_command(settings: Settings, out: Path | None, force: bool) -> None:
        """导出工作台账：.xlsx（Excel/WPS，可打印、可交各单位填写）或 .csv（Excel 可直接打开）。

        \b
        xlsx 按分工表的样式排版：A4 横向打印（正文约 9.5 磅），每页重复表头，每行都写明
        工作任务、重点工作任务；「预警」列写明逾期、临期（完成时限同时标红、标橙）；
        「状态」可从下拉列表选择。不写文件名时保存为「年份分工表-单位-日期.xlsx」。
        不加 --unit 时为办公室的总台账：「状态」为汇总状态，旁边「单位完成情况」为已完成
        的单位数/责任单位数（如 3/5），另有「分单位」表列出每项任务每个责任单位的填报；
        导出为 .csv 时「分单位」另存为同名加「-分单位」的 .csv 文件。
        加 --unit 时为该单位的台账：「状态」「进展情况」是该单位自己的填报。
        各单位填好「状态」「进展情况」后交回，用 tracker import-ledger --by 单位 导入。
        例：
          tracker export-ledger 台账-2023-08.xlsx --today 2023-08-25
          tracker export-ledger 区发改局台账.xlsx --unit 区发改局
          tracker export-ledger 台账.csv
          tracker export-ledger --unit 区发改局     保存为 2023分工表-区发改局-日期.xlsx
        """
        from tracker.ledger import export_ledger, unit_csv_path

        store, unit_id = _open(settings)
        try:
            plan_id = _plan_id(store, settings)
            if out is None:
                whose = store.unit(unit_id) if unit_id else None
                year = store.plan(plan_id).year
                name = whose.name if whose else None
                out = Path(export_name(year, name, store.today(), "xlsx"))
            written = export_ledger(store, plan_id, out, unit_id=unit_id, force=force)
            count = len(store.filtered_items(plan_id, ItemFilter(unit_id=unit_id)))
        finally:
            store.close()
        echo(f"台账已导出（{count} 项任务）：{written}")
        beside = unit_csv_path(written)
        if unit_id is None and written.suffix.lower() == ".csv" and beside.exists():
            echo(f"各单位的填报（分单位，每项任务的每个责任单位一行）另存为：{beside}")

    return export_ledger_command


def _import_ledger() -> click.Command:
    @click.command("import-ledger", cls=TrackerCommand)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--by",
        "by_unit",
        help="填写该台账的单位（如 区发改局）：更新该单位的填报，记入修改日志；"
        "不写时导入为办公室的结论和进展情况",
    )
    @click.option("--dry-run", is_flag=True, help="只检查并列出将要做的修改，不写入")
    @click.option(
        "--allow-clear",
        is_flag=True,
        help="「进展情况」被清空的行也清空原有进展（默认保留原有进展并列出这些行）",
    )
    @common_options
    def import_ledger_command(
        settings: Settings, file: Path, by_unit: str | None, dry_run: bool, allow_clear: bool
    ) -> None:
        """导入交回的 xlsx 台账：「状态」「进展情况」有变化的，记为该单位的填报（--by），
        或办公室的结论（不写 --by）。

        \b
        每行先按隐藏的 item_id 列、否则按「序号」和「具体内容」对应到任务；所有行检查完毕
        后才写入。对不上的行、状态或进展情况是公式的行、状态不是五种之一的行不导入，并列出
        行号和原因；「进展情况」被清空的，原有进展保留并列出（加 --allow-clear 才清空）。
        此时退出码为 1，其余照常导入；改正后可再次导入，不会重复。
        加 --by 时只更新该单位自己的填报：有一行修改了不归该单位负责的任务，或交回的是
        办公室的总台账（有「单位完成情况」列），整份台账都不导入。
        例：
          tracker import-ledger 区发改局台账.xlsx --by 区发改局
          tracker import-ledger 区发改局台账.xlsx --by 区发改局 --dry-run
          tracker import-ledger 总台账.xlsx                  办公室的结论
        """
        from tracker.ledger import describe_import, import_ledger

        store = open_store(settings)
        try:
            if by_unit is not None:
                require_unit(store, by_unit)  # a mistyped --by gets suggestions
            result = import_ledger(
                store,
                file,
                by_unit,
                dry_run=dry_run,
                allow_clear=allow_clear,
                user=settings.clerk,
            )
        finally:
            store.close()
        for line in describe_import(result):
            echo(line)
        if result.blocked:
            raise click.ClickException(f"整份台账未导入（不由{result.by}负责的任务），见上面的列表")
        if result.refused or result.kept:
            parts = [f"{len(result.refused)} 行未导入"] if result.refused else []
            if result.kept:
                parts.append(f"{len(result.kept)} 行的原有进展未清空")
            raise click.ClickException(f"有 {'、'.join(parts)}，见上面的列表")

    return import_ledger_command


def _report() -> click.Command:
    @click.command("report", cls=TrackerCommand)
    @click.option(
        "--format",
        "fmt",
        metavar="格式",
        type=click.Choice(REPORT_FORMATS),
        help="md（Markdown，默认）、html（网页，可 A4 打印）或 docx（Word 公文格式）；"
        "不写时按 --out 的扩展名；docx 不写 --out 时保存为 年份分工表-单位-日期.docx",
    )
    @click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（默认输出到屏幕）"
    )
    @click.option("--force", is_flag=True, help="覆盖已存在的文件")
    @common_options
    def report_command(settings: Settings, fmt: str | None, out: Path | None, force: bool) -> None:
        """进展报告：按工作任务、按责任单位统计各状态数量、完成率、逾期和临期，列出逾期、
        临期任务，并生成一句总结（可直接用于月报或年度报告的落实情况）。

        \b
        例：
          tracker report --today 2023-08-25
          tracker report --unit 区发改局
          tracker report --format html --out 8月进展.html
          tracker report --format docx --out 8月进展.docx
        """
        from tracker.services.report import (
            build_report,
            format_for,
            render,
            save_report,
        )

        store, unit_id = _open(settings)
        try:
            fmt = fmt or (format_for(out) if out else "md")
            report = build_report(store, plan_id := _plan_id(store, settings), unit_id)
            if out is None and fmt == "docx":
                year = store.plan(plan_id).year
                out = Path(export_name(year, report.unit_name, report.today, "docx"))
        finally:
            store.close()
        if out is None:  # to the terminal: its control characters shown
            echo(render(report, fmt), nl=False)
            return
        save_report(report, out, force, fmt)
        echo(f"报告已保存到：{out}")

    return report_command


def register(group: click.Group) -> None:
    """Add ``export-ledger``, ``import-ledger`` and ``report`` to the ``tracker`` group."""
    for build in (_export_ledger, _import_ledger, _report):
        group.add_command(build())
