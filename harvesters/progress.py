"""Where a running harvest's live progress is kept (the cache), shared by the runner,
its heartbeat (:mod:`harvesters.liveness`) and the pages and API that show it."""


def progress_key(run_id: int) -> str:
    """Cache key holding ``{"done": n, "stage": str}`` for a running harvest."""
    return f"mesh:harvest-progress:{run_id}"
