"""The local engine: this process for one worker, else a process pool sized to the cores.

Workers start with forkserver, not fork: ONNX Runtime and torch keep thread pools that a
forked child inherits in a broken state. At most 2 x workers documents are in flight, so
memory stays flat however many files the job has; results stream back as they finish.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from docpipe.jobs.worker import Done, JobConfig, Task, Worker, error_record, init_worker, run_task
from docpipe.parse.parallel import default_workers

MAX_ATTEMPTS = 2  # a document in flight when a worker died twice is the likely culprit


def run_local(tasks: Iterable[Task], config: JobConfig, workers: int) -> Iterator[Done]:
    if workers <= 1:
        worker = Worker(config)
        for task in tasks:
            yield worker.run(task)
        return
    yield from _run_pool(iter(tasks), replace(config, threads=max(1, default_workers() // workers)), workers)


def _new_pool(config: JobConfig, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("forkserver"), initializer=init_worker, initargs=(config,)
    )


def _run_pool(tasks: Iterator[Task], config: JobConfig, workers: int) -> Iterator[Done]:
    pool = _new_pool(config, workers)
    in_flight: dict[Future[Done], Task] = {}
    retry: list[Task] = []
    attempts: dict[Task, int] = {}
    finished_in_pool = 0
    barren = 0  # pools in a row that broke before finishing anything
    try:
        while True:
            while len(in_flight) < 2 * workers:
                task = retry.pop() if retry else next(tasks, None)
                if task is None:
                    break
                attempts[task] = attempts.get(task, 0) + 1
                in_flight[pool.submit(run_task, task)] = task
            if not in_flight:
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = in_flight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken = True
                    if attempts[task] >= MAX_ATTEMPTS:
                        message = f"{task.path}: the worker process died while extracting it"
                        yield Done(task, error_record(task.path, config.schema, message).to_json(), False)
                        attempts.pop(task)
                    else:
                        retry.append(task)
                    continue
                except Exception as e:  # pickling or other transport trouble: this file's error
                    message = f"{task.path}: {type(e).__name__}: {e}"
                    result = Done(task, error_record(task.path, config.schema, message).to_json(), False)
                attempts.pop(task, None)
                finished_in_pool += 1
                yield result
            if broken:
                barren = barren + 1 if finished_in_pool == 0 else 0
                if barren > MAX_ATTEMPTS:  # workers that cannot even start: stop, do not loop
                    raise RuntimeError("extract workers keep dying before finishing any document")
                retry += list(in_flight.values())  # the pool is gone: resubmit what was in it
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _new_pool(config, workers)
                finished_in_pool = 0
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
