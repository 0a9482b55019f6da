"""What the dbt source kind adds to the catalog's pages: a dbt model job's last build."""

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from catalog.pages import PageExtension


def dbt_last_run(asset) -> dict | None:
    """The last dbt build of a dbt model's job, from ``run_results.json`` as harvested
    (``properties.dbt.last_run``): ``{status, completed_at (datetime|None), seconds,
    message}``; None for other jobs."""
    last = (asset.properties.get("dbt") or {}).get("last_run")
    if not isinstance(last, dict) or not last.get("status"):
        return None
    completed = parse_datetime(str(last.get("completed_at") or "")) or None
    seconds = last.get("execution_time")
    return {
        "status": str(last["status"]),
        "completed_at": completed,
        "seconds": seconds if isinstance(seconds, int | float) else None,
        "message": last.get("message") or "",
    }


class DbtPages(PageExtension):
    """The runs tab of a dbt model's job starts with its last dbt build (no query)."""

    def tab_context(self, request: HttpRequest, asset, tab: str) -> dict:
        """``{dbt_last_run}`` on a job's runs tab."""
        if tab != "runs" or asset.kind != "job":
            return {}
        return {"dbt_last_run": dbt_last_run(asset)}

    def tab_templates(self, asset, tab: str) -> list[str]:
        """The last-build card on a job's runs tab."""
        return ["harvesters/_dbt_last_run.html"] if tab == "runs" and asset.kind == "job" else []
