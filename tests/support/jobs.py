"""Following a server job the way the panel's job line does: poll until it ends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

NS = "mlops-jupyter"


async def follow_job(
    jp_fetch: Any, job_id: str, timeout: float = 120.0, every: float = 0.02
) -> tuple[dict, list[dict]]:
    """Poll the job until it ends; answer its last record and every progress report seen."""
    loop = asyncio.get_running_loop()
    deadline, seen = loop.time() + timeout, []
    while True:
        job = json.loads((await jp_fetch(NS, "jobs", job_id)).body)
        if job["progress"] is not None and job["progress"] not in seen:
            seen.append(job["progress"])
        if job["status"] not in ("queued", "running", "cancelling"):
            return job, seen
        assert loop.time() < deadline, job
        await asyncio.sleep(every)
