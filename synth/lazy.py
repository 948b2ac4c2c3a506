"""Heavy libraries imported on first use, so that each command pays only for what it runs.

`synth --help` used to import pandas, scipy and scikit-learn (1.4 s, 200 MB) because modules that only
some commands need imported them at the top. A module that is imported by a light command but needs a
heavy library in a few functions binds the library's usual name to a :class:`LazyModule` instead:

>>> pd = LazyModule("pandas")          # nothing imported yet
>>> pd.Series([1, 2]).sum()            # pandas imported here, once
np.int64(3)

Type checkers see the real module (import it under ``if TYPE_CHECKING:``).
"""

from __future__ import annotations

import importlib
import importlib.util
import opcode
import os
import sys
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any


class LazyModule:
    """Stands in for ``import NAME``: the first attribute access imports the module, later ones reuse it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        # sys.modules first: after the first use this costs one dict lookup, not the import machinery. A module
        # another thread is still importing is in sys.modules half made (writers of several tables run in
        # threads): import_module waits for it to finish.
        module = sys.modules.get(self._name)
        if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
            if self._name.partition(".")[0] == "pyarrow":
                hide_pandas_from_pyarrow()
            module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazily imported module {self._name!r}>"

    def __reduce__(self) -> tuple[type, tuple[str]]:
        # Pickled by name (a plan sent to Dask workers holds expressions that use np, pa ...): without this,
        # unpickling makes an instance without _name, whose __getattr__ then recurses looking for it.
        return LazyModule, (self._name,)


def hide_pandas_from_pyarrow() -> None:
    """Keep pyarrow from importing pandas (~0.5 s) only to learn that synth's values are not pandas objects.

    pyarrow's first conversion (``pa.array``, ``pa.scalar``, a compute function given a list) imports pandas
    to ask whether its argument is a Series or a Categorical, and remembers the answer. No pandas object
    can exist before pandas is imported, so until then "pandas is not installed" is the right answer, and
    it costs nothing: an import of pandas asked for by pyarrow's compiled code called straight from synth's
    code fails as if pandas were absent. Any other import of pandas (an ``import`` statement,
    ``importlib.import_module``, pyarrow's own Python modules such as ``Table.to_pandas``'s, a user's own
    ``pa.array`` call) goes through;
    it also removes the hook and tells pyarrow that pandas is there, so ``pa.array(series)`` and
    ``Table.from_pandas`` behave as always from then on. Idempotent; a no-op once pandas is imported.
    (So synth's code imports pandas itself before it asks pyarrow for a pandas object from an *array*:
    ``Array.to_pandas`` asks from compiled code; ``Table.to_pandas`` goes through pyarrow's Python.)

    >>> hide_pandas_from_pyarrow()
    >>> import pyarrow as pa
    >>> pa.array([1, 2]).to_pylist()
    [1, 2]
    """
    if "pandas" in sys.modules or any(isinstance(f, _PandasHiddenFromPyarrow) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _PandasHiddenFromPyarrow())


_IMPORT_NAME = opcode.opmap["IMPORT_NAME"]
# Frames whose pyarrow calls are answered "no pandas": synth's own. Not pyarrow's Python modules: those
# that import pandas (Table.to_pandas through pyarrow.pandas_compat) need it, not just ask about it.
_SYNTH_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class _PandasHiddenFromPyarrow:
    """A meta-path finder: see :func:`hide_pandas_from_pyarrow`."""

    refused = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "pandas":
            return None
        if _asked_by_pyarrow(sys._getframe(1)):
            self.refused = True
            raise ModuleNotFoundError("pandas is not imported yet, so no value is a pandas object", name=name)
        # A real import: step aside for good and, if pyarrow was told "no pandas", tell it once pandas is there.
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if self.refused and spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader.exec_module = _then_tell_pyarrow(spec.loader.exec_module)  # type: ignore[method-assign]
        return spec


def _asked_by_pyarrow(frame: FrameType | None) -> bool:
    """Whether the import under way was started by compiled code (pyarrow) called from synth's code.

    The innermost Python frame outside the import machinery made the call that led here: an ``import``
    statement is executing ``IMPORT_NAME``; a pyarrow function (compiled, so no frame of its own) was
    reached from a frame executing a call.
    """
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    if frame is None:
        return False
    ours = os.path.abspath(frame.f_code.co_filename).startswith(_SYNTH_DIR)
    return ours and frame.f_code.co_code[frame.f_lasti] != _IMPORT_NAME


def _then_tell_pyarrow(exec_module: Any) -> Any:
    def exec_then_tell(module: ModuleType) -> None:
        exec_module(module)
        lib = sys.modules.get("pyarrow.lib")
        if lib is None:
            return
        # pyarrow remembers a failed probe; a conversion that needs pandas makes it look again. Not while
        # pyarrow's own first probe holds its lock (it is this very import, and will see pandas itself).
        lock = getattr(getattr(lib, "_pandas_api", None), "_lock", None)
        if lock is None or not lock.locked():
            lib.nulls(0).to_pandas()
    return exec_then_tell


# numpy and pyarrow (with its compute kernels) are what generating values needs, and most of what a light
# command would otherwise pay for at start-up (`synth kinds` builds every kind but makes no values).
# Modules that make values import them from here: ``from ..lazy import np, pa, pc``.
if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    np, pa, pc = LazyModule("numpy"), LazyModule("pyarrow"), LazyModule("pyarrow.compute")
