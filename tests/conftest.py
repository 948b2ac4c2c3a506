"""Fixtures shared by test modules: a throwaway PostgreSQL server, started once per session when a test asks."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from tests.pg_cluster import Cluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    cluster = start_cluster()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def dask_client():
    """A LocalCluster of 2 worker processes (one thread each), shared by the Dask engine's test modules: started
    once (workers importing synth, numpy, pyarrow and scipy cost seconds each on a busy machine)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client


@contextmanager
def threaded_client() -> Iterator[Any]:
    """A client of a LocalCluster with one threaded worker (fsspec's memory:// file system is per process).

    distributed starts the cluster's IO loop in a thread and gives up when it has not started within 10 s (an
    AssertionError in ``LoopRunner``), which a loaded 2-core CI machine has hit once: the start alone is tried again,
    never anything a test asserts."""
    from distributed import Client, LocalCluster

    for attempt in range(3):
        try:
            cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=":0", silence_logs=40)
            break
        except AssertionError:
            if attempt == 2:
                raise
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client
