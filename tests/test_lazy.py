"""synth.lazy.LazyModule under threads: a module another thread is still importing is waited for, never used half made."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from synth.lazy import LazyModule


def test_threads_first_touching_a_slow_module_all_see_it_whole(tmp_path: Path, monkeypatch) -> None:
    # The module's body sleeps before defining its attribute: a thread that takes the half-made module from
    # sys.modules gets AttributeError (as Parquet writers of several tables did with pyarrow.parquet).
    (tmp_path / "slow_for_lazy_test.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_for_lazy_test", raising=False)
    lazy = LazyModule("slow_for_lazy_test")
    results: list[object] = []

    def touch() -> None:
        try:
            results.append(lazy.VALUE)
        except Exception as error:  # noqa: BLE001 - the test reports what the thread saw
            results.append(error)

    threads = [threading.Thread(target=touch) for _ in range(4)]
    threads[0].start()
    threading.Event().wait(0.1)  # the first thread is inside the module's body now
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42, 42, 42, 42]


def test_a_module_that_used_a_stand_in_holds_the_module_itself_from_then_on(tmp_path: Path, monkeypatch) -> None:
    # Each use through a LazyModule costs a failed lookup and a call: after the first, the names bound to the
    # stand-in in the module that used it name the real module (only there; the stand-in itself still works).
    (tmp_path / "uses_lazy_for_test.py").write_text(
        "from synth.lazy import LazyModule\nj = LazyModule('json')\nalso = j\n"
        "def use():\n    return j.dumps([1])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "uses_lazy_for_test", raising=False)
    import uses_lazy_for_test as user

    stand_in = user.j
    assert isinstance(stand_in, LazyModule) and user.also is stand_in
    assert user.use() == "[1]"
    assert user.j is sys.modules["json"] and user.also is sys.modules["json"]  # every name for it, in that module
    assert user.use() == "[1]" and stand_in.dumps([2]) == "[2]"
    elsewhere = {"j": stand_in}
    exec("assert j.loads('[3]') == [3]", elsewhere)  # another module's use rebinds its own name, no one else's
    assert elsewhere["j"] is sys.modules["json"] and isinstance(stand_in, LazyModule)
