"""A Datasette plugin (registered by :func:`tracker.serve.serve`): the site's root opens
the 台账, so it comes first. Imported only when Datasette is installed."""

from __future__ import annotations

from datasette import hookimpl  # type: ignore[import-untyped]
from datasette.utils.asgi import Response  # type: ignore[import-untyped]

from tracker.serve import DATABASE_NAME, LEDGER_TABLE


async def _home(datasette, request):
    return Response.redirect(datasette.urls.table(DATABASE_NAME, LEDGER_TABLE))


@hookimpl
def register_routes(datasette):
    return [(r"^/$", _home)]
