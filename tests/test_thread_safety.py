"""A plan's column objects shared by threads (a threaded Dask worker runs several chunks of one plan at once)."""

from __future__ import annotations

import threading

import numpy as np

from synth.columns.base import InverseCDF


def test_threads_drawing_from_one_inverse_cdf_while_its_guide_is_built_all_get_exact_answers() -> None:
    rng = np.random.default_rng(0)
    u = rng.random(InverseCDF.SLICES * 2)  # large enough to build the guide table on first use
    cum = np.cumsum(rng.random(200))
    expected = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
    failures: list[BaseException] = []
    for _ in range(30):  # each round a fresh object, so every round races on the first build
        draw = InverseCDF(cum)
        start = threading.Barrier(4)

        def run() -> None:
            start.wait()
            try:
                assert np.array_equal(draw(u), expected)
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                failures.append(error)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures, failures[0]
