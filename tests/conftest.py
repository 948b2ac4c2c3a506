"""Fixtures shared by test modules: a throwaway PostgreSQL server, started once per session when a test asks."""

from __future__ import annotations

import pytest

from tests.pg_cluster import Cluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    cluster = start_cluster()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    yield cluster
    cluster.stop()
