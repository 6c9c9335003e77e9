"""SIMPOR's ascent on a Dask cluster (``SIMPOR(client=...)``), with the same bytes as one machine.

The client does everything that draws random numbers or needs all rows at
once (standardisation, neighbour radii, active learning, every radius and
direction, in the single-machine order); the workers only run Algorithm 1
on fixed-size chunks of seeds. The chunk size depends on the requested
device alone, never on the cluster, and each task is a pure function of its
inputs, so any number of workers, and any re-run of a lost worker's tasks,
gives the same rows. Needs the ``dask`` extra: ``pip install "simpor_ext[dask]"``.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

from ._backends import cpu, cuda, get_backend
from .kernels import AscentResult, AscentSpec, DataSets
from .synthesis import Chunk, grow_chunk

__all__ = ["CHUNK_ROWS", "RETRIES", "require_distributed", "resolve_client", "materialise", "ascend_chunk",
           "ClusterAscent"]

logger = logging.getLogger(__name__)

EXTRA_HINT = 'SIMPOR(client=...) needs dask.distributed: pip install "simpor_ext[dask]"'

# Seeds per task, by requested device: each backend's own batch size, so a task
# fills a GPU or a CPU worker's cores; "auto" cannot know the workers' devices
# and takes the CPU size. Never a function of the number of workers.
CHUNK_ROWS = {"auto": cpu._BATCH, "cpu": cpu._BATCH, "cuda": cuda._BATCH}

# Re-runs of a task that raised (a lost worker is re-run by the scheduler anyway).
RETRIES = 2


def require_distributed():
    """The ``distributed`` module, or ImportError naming the extra that installs it."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"{EXTRA_HINT} ({exc})") from None
    return distributed


def resolve_client(client: Any):
    """The live ``distributed.Client`` that ``client`` stands for, or None to run locally.

    ``"auto"`` is the current default client (``distributed.get_client()``).
    Raises TypeError for anything else that is not a Client, and ValueError
    for a client that is closed or when ``"auto"`` finds none.
    """
    if client is None:
        return None
    distributed = require_distributed()
    if isinstance(client, str):  # the constraints allow "auto" alone
        try:
            client = distributed.get_client()
        except ValueError:
            raise ValueError("client='auto' needs a running dask.distributed Client in this process; "
                             "create one (distributed.Client(address)) or pass client=None") from None
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be None, 'auto' or a distributed.Client, got {type(client).__name__}")
    if client.status != "running":
        raise ValueError(f"the distributed.Client passed as client= is {client.status}, not running")
    return client


def _available_bytes() -> Optional[int]:
    try:
        import psutil  # a dependency of distributed, not of this package
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def materialise(data: Any, name: str) -> Any:
    """A dask.array or dask.dataframe computed into NumPy or pandas on this process; anything else as given.

    Every worker needs all rows (the KDE sums run over the whole class and
    its contrast set), so the rows are gathered here. A dask.array larger
    than the memory available now raises MemoryError before anything runs
    (a dask.dataframe's size is unknown until computed).
    """
    if not hasattr(data, "__dask_graph__"):
        return data
    try:
        nbytes = data.nbytes  # nan with unknown chunk sizes
    except NotImplementedError:  # a dask.dataframe
        nbytes = None
    available = _available_bytes()
    if isinstance(nbytes, (int, np.integer)) and available is not None and nbytes > available:
        raise MemoryError(f"{name} is a dask collection of {nbytes / 2**30:.2f} GiB, more than the "
                          f"{available / 2**30:.2f} GiB of memory available: SIMPOR needs every row in memory "
                          "on the client and on each worker")
    logger.info("computing the dask collection %s on the client", name)
    return data.compute()


def ascend_chunk(device: str, n_threads: Optional[int], centres: np.ndarray, candidates: np.ndarray,
                 radii: np.ndarray, directions: np.ndarray, sets: DataSets,
                 spec: AscentSpec) -> tuple[np.ndarray, AscentResult, str]:
    """One task: a chunk of rows (:func:`simpor_ext.synthesis.grow_chunk`) on
    the worker's own backend: (codes, AscentResult, the backend's name).

    The backend is resolved here, on the worker: ``"cuda"`` raises on a
    worker without a usable GPU, ``"auto"`` takes the worker's GPU when it
    has one (a backend holds an extension module and cannot travel).
    """
    backend = get_backend(device, n_threads)
    return (*grow_chunk(sets, spec, backend, centres, candidates, radii, directions), backend.name)


class ClusterAscent:
    """A ``run_chunks`` for :func:`simpor_ext.synthesis.grow` that runs each chunk as a task on ``client``.

    ``device`` is the requested device name (not a resolved backend);
    ``backends`` collects the names the workers used.
    """

    def __init__(self, client: Any, n_threads: Optional[int]):
        self.client, self.n_threads = client, n_threads
        self.backends: set[str] = set()

    def __call__(self, chunks: Iterable[Chunk], sets: DataSets, spec: AscentSpec, device: str,
                 progress: Callable[[int], Any]) -> Iterator[tuple[slice, np.ndarray, AscentResult]]:
        distributed = require_distributed()
        # The class and its contrast set go to every worker once, not with every task.
        sets_f = self.client.scatter(sets, broadcast=True)
        slices, futures = [], []
        try:
            for sl, centres, candidates, radii, directions in chunks:
                slices.append(sl)
                # pure=True: the key hashes the chunk's data, so a re-run is the same task.
                futures.append(self.client.submit(
                    ascend_chunk, device, self.n_threads, centres, candidates, radii, directions, sets_f, spec,
                    pure=True, retries=RETRIES))
            rows = {f.key: sl.stop - sl.start for sl, f in zip(slices, futures)}
            with self.client.as_current():  # as_completed needs it when the client is not the default one
                for done in distributed.as_completed(futures):
                    if done.status == "error":
                        done.result()  # raises the worker's exception here
                    progress(rows[done.key])
            results = self.client.gather(futures)
        finally:
            # Ctrl-C or an error: stop the rest of the class's tasks.
            self.client.cancel(futures + [sets_f])
        for sl, (codes, res, name) in zip(slices, results):
            self.backends.add(name)
            yield sl, codes, res
