"""The Ray engine: the same per-document function (worker.Worker) on Ray Data actors.

`ray.data.from_items(tasks).map_batches(RayWorker, concurrency=N)`: each actor warms its
converter once, like a local worker process, and results stream back to the driver, which
writes them exactly as the local engine does (so resume and --force behave the same). With
an address the job runs on that cluster, whose nodes need docpipe installed; without one a
local Ray is started for the job and stopped after it.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from docpipe.jobs.worker import Done, JobConfig, Task, Worker

INSTALL_HINT = "--engine ray needs Ray Data: pip install 'docpipe[ray]' (or pip install 'ray[data]')"


class RayWorker:
    """A Ray Data callable class: constructed once per actor, then called per batch."""

    def __init__(self, config: JobConfig) -> None:
        self.worker = Worker(config)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"path": [], "sha256": [], "record": [], "ok": []}
        for path, sha in zip(batch["path"], batch["sha256"], strict=True):
            done = self.worker.run(Task(str(path), str(sha)))
            out["path"].append(done.task.path)
            out["sha256"].append(done.task.sha256)
            out["record"].append(done.record_json)
            out["ok"].append(done.ok)
        return out


def _bound(config: JobConfig) -> type[RayWorker]:
    # The config travels inside the class rather than as constructor arguments in the object
    # store, which Ray warns cannot be restored when an actor restarts.
    class BoundRayWorker(RayWorker):
        def __init__(self) -> None:
            super().__init__(config)

    return BoundRayWorker


def ray_runner(address: str | None) -> Callable[[list[Task], JobConfig, int], Iterator[Done]]:
    try:
        import ray
        import ray.data
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None

    def run(tasks: list[Task], config: JobConfig, workers: int) -> Iterator[Done]:
        started = not ray.is_initialized()
        if started:
            # Workers inherit this environment: keep the import path and offline model loading.
            env = {k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
            if address is None:
                kwargs["num_cpus"] = workers
            ray.init(address=address, runtime_env={"env_vars": env}, **kwargs)
        try:
            logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-dataset INFO and notice lines
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = False  # the CLI draws its own bar
            size = max(1, min(workers, int(ray.cluster_resources().get("CPU", 1))))
            ds = ray.data.from_items([{"path": t.path, "sha256": t.sha256} for t in tasks])
            # No actor restarts: a lost document is redone by the next run (resume), and Ray would
            # warn that the constructor arguments it keeps in the object store cannot be restored.
            with warnings.catch_warnings():  # max_restarts has no named parameter yet (Ray 2.60)
                warnings.simplefilter("ignore", DeprecationWarning)
                results = ds.map_batches(_bound(config), batch_size=1, concurrency=size, num_cpus=1, max_restarts=0)
            for row in results.iter_rows():
                yield Done(Task(str(row["path"]), str(row["sha256"])), str(row["record"]), bool(row["ok"]))
        finally:
            if started:
                ray.shutdown()

    return run
