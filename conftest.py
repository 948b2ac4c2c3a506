"""pytest set-up shared by tests/ and the docstring examples of synth/ and audit/ (``--doctest-modules``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _examples_run_in_the_project_folder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Docstring examples name files as README.md does (``schemas/coffee.yaml``), so they run where it runs."""
    if isinstance(request.node, DoctestItem):
        monkeypatch.chdir(ROOT)
