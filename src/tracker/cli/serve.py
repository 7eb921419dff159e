"""``tracker serve``: publish the 台账 read-only on the office's intranet (Datasette).

Registered on the main group by :func:`register`, called by :mod:`tracker.cli`.
"""

from __future__ import annotations

import click

from tracker.cli.common import Settings, TrackerCommand, common_options, open_store


def _serve() -> click.Command:
    @click.command("serve", cls=TrackerCommand)
    @click.option(
        "--host",
        metavar="地址",
        default="127.0.0.1",
        show_default=True,
        help="监听的地址；只有给出本机的内网地址（或 0.0.0.0）时，其他电脑才能访问",
    )
    @click.option(
        "--port",
        metavar="端口",
        default=8001,
        show_default=True,
        type=click.IntRange(1, 65535),
        help="监听的端口",
    )
    @common_options
    def serve_command(settings: Settings, host: str, port: int) -> None:
        """在内网发布台账（只读）：用浏览器查看、筛选、搜索、下载 CSV/JSON。

        \b
        发布的是启动时数据库的副本，网页上不能修改任何内容；合并新的上报后重新运行即可。
        「预警」按 --today（默认今天）判断。
        需要 Datasette：pip install 'tracker[serve]'。
        例：
          tracker serve --db 全区合并.db                      只在本机 http://127.0.0.1:8001
          tracker serve --db 全区合并.db --host 10.0.0.5      内网其他电脑可访问
        """
        from tracker.serve import prepared, require_datasette, serve

        require_datasette()
        store = open_store(settings, seed=False)  # --today is applied here
        try:
            if not store.has_plans():
                raise click.ClickException("数据库中没有分工表，没有可发布的内容")
            with prepared(store) as (copy, meta, rows):
                store.close()
                shown = f"[{host}]" if ":" in host else host
                click.echo(f"只读发布 {rows} 项任务：http://{shown}:{port}/tracker/ledger")
                click.echo("网页上不能修改任何内容；按 Ctrl+C 停止。")
                serve(copy, meta, host, port)
        finally:
            store.close()

    return serve_command


def register(group: click.Group) -> None:
    """Add ``serve`` to the ``tracker`` group."""
    group.add_command(_serve())
