"""Options that several commands take with the same meaning, declared once so their help stays the same."""

from __future__ import annotations

import typer

#: ``--scheduler`` of ``generate``, ``audit`` and ``fit`` (``--engine dask``).
SchedulerOption = typer.Option(None, "--scheduler", help="With --engine dask: the cluster's scheduler (tcp://host:8786; "
                               "default: $DASK_SCHEDULER_ADDRESS, else a LocalCluster of --workers processes).")
