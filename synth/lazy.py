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
import sys
from typing import TYPE_CHECKING, Any


class LazyModule:
    """Stands in for ``import NAME``: the first attribute access imports the module, later ones reuse it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        # sys.modules first: after the first use this costs one dict lookup, not the import machinery.
        module = sys.modules.get(self._name) or importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazily imported module {self._name!r}>"


# numpy and pyarrow (with its compute kernels) are what generating values needs, and most of what a light
# command would otherwise pay for at start-up (`synth kinds` builds every kind but makes no values).
# Modules that make values import them from here: ``from ..lazy import np, pa, pc``.
if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    np, pa, pc = LazyModule("numpy"), LazyModule("pyarrow"), LazyModule("pyarrow.compute")
