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
import re
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
            top = self._name.partition(".")[0]
            if top == "pyarrow":
                hide_pandas_from_pyarrow()
            module = (import_special_functions if self._name == _SPECIAL_FUNCTIONS else import_without_numpy_tools
                      if top == "scipy" else importlib.import_module)(self._name)
        # The module is whole now: the calling module's names for this stand-in name the module itself from here
        # on. Each use through the stand-in cost ~1 µs (a failed lookup, its error message, this call), and
        # generating a learned schema's hundreds of cases makes tens of thousands of them.
        caller = sys._getframe(1).f_globals
        for name, value in list(caller.items()):
            if value is self:
                caller[name] = module
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


#: numpy's submodules that scipy's import brings in only to copy numpy's namespace (see below).
_NUMPY_TOOLS = ("f2py", "testing")


def import_without_numpy_tools(name: str) -> ModuleType:
    """``import name`` (a scipy module), without importing :mod:`numpy.f2py` and :mod:`numpy.testing` (~100 ms,
    ~240 M instructions: unittest, the Fortran wrapper generator) that nothing synth runs uses.

    ``scipy.special`` and ``scipy.stats`` import ``scipy._lib.array_api_compat.numpy``, which copies numpy's
    namespace by asking numpy for every name it lists (``hasattr(numpy, n)`` for each ``n`` in ``dir(numpy)``),
    and numpy imports a lazy submodule when it is asked for. While ``name`` is imported, numpy's namespace
    holds a :class:`LazyModule` for each of the two (not yet imported), so the copy gets stand-ins that
    import the real module on first use; afterwards numpy's namespace is as before (asking numpy for them
    imports them, as always). A module imported already is returned as it is.

    >>> special = import_without_numpy_tools("scipy.special")
    >>> float(special.ndtr(0.0))
    0.5
    """
    if name in sys.modules:
        return sys.modules[name]
    numpy = importlib.import_module("numpy")
    stand_ins = {tool: LazyModule(f"numpy.{tool}") for tool in _NUMPY_TOOLS
                 if f"numpy.{tool}" not in sys.modules and tool not in vars(numpy)}
    vars(numpy).update(stand_ins)
    try:
        return importlib.import_module(name)
    finally:
        for tool, stand_in in stand_ins.items():
            if vars(numpy).get(tool) is stand_in:  # (a real import meanwhile has put the module there: kept)
                del vars(numpy)[tool]


#: scipy's compiled module of special functions (ndtr, ndtri, gammainc, expm1 ...: numpy ufuncs).
_SPECIAL_FUNCTIONS = "scipy.special._ufuncs"


def import_special_functions(name: str = _SPECIAL_FUNCTIONS) -> ModuleType:
    """``scipy.special._ufuncs``, the compiled module that holds scipy.special's ufuncs (``ndtr``, ``ndtri``,
    ``gammainc``, ``gammaincinv``, ``expm1``, ``log1p`` ...: the very objects ``scipy.special`` exports), without
    running ``scipy/special/__init__.py``.

    That package's import brings scipy's array-API layer (``scipy._lib._array_api``, which imports
    ``numpy.ma``, ``numpy.random``, ``numpy.polynomial`` ...), its Python wrappers and their docstrings: ~0.3 s
    and ~700 M instructions that `synth fit` and `synth generate` paid for a normal quantile. The compiled
    module needs none of it, but it is a submodule, and importing a submodule first imports its package: while
    it (and the compiled modules it imports: ``_ufuncs_cxx``, ``_special_ufuncs``, ``_gufuncs`` ...) is loaded,
    ``scipy.special`` is a bare package (only its ``__path__``) in ``sys.modules``, under the import lock so no
    other thread sees it; then it is taken out again. A later ``import scipy.special`` runs the package as
    always and finds these modules loaded (the same ufunc objects). Returns scipy.special's own module when it
    is imported already, and falls back to importing it (without numpy's tools) if the compiled module cannot
    be loaded on its own (another scipy layout).

    >>> special = import_special_functions()
    >>> float(special.ndtr(0.0)), float(special.ndtri(0.5))
    (0.5, 0.0)
    """
    if name != _SPECIAL_FUNCTIONS:
        raise ValueError(f"{name}: only {_SPECIAL_FUNCTIONS} is imported this way")
    if _SPECIAL_FUNCTIONS in sys.modules:
        return sys.modules[_SPECIAL_FUNCTIONS]
    if "scipy.special" in sys.modules:
        return import_without_numpy_tools("scipy.special")
    import _imp

    importlib.import_module("numpy")  # (outside the lock: its import may start threads of its own)
    scipy = importlib.import_module("scipy")
    _imp.acquire_lock()
    try:
        if "scipy.special" in sys.modules:  # another thread imported it meanwhile
            return import_without_numpy_tools("scipy.special")
        bare = ModuleType("scipy.special")
        bare.__path__ = [os.path.join(os.path.dirname(scipy.__file__), "special")]
        bare.__package__ = "scipy.special"
        sys.modules["scipy.special"] = bare
        before = set(sys.modules)
        try:
            module = importlib.import_module(_SPECIAL_FUNCTIONS)
        except Exception:  # ImportError, or any error of a scipy whose compiled module needs its package's names
            for loaded in set(sys.modules) - before:  # half a package: forget it, import the whole one
                del sys.modules[loaded]
            module = None
        finally:
            if sys.modules.get("scipy.special") is bare:
                del sys.modules["scipy.special"]
    finally:
        _imp.release_lock()
    return module if module is not None else import_without_numpy_tools("scipy.special")


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


class LazyPattern:
    """A regular expression compiled on its first use, standing in for ``re.compile(pattern, flags)``.

    >>> digits = LazyPattern(r"[0-9]+")     # nothing compiled yet
    >>> digits.match("42x").group()         # compiled here, once
    '42'
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, attr: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile(*self._args)
        return getattr(compiled, attr)

    def __repr__(self) -> str:
        return f"<lazily compiled re.compile{self._args!r}>"


_compile = re.compile


def import_with_lazy_patterns(name: str) -> ModuleType:
    """``import name``, with the regular expressions its own modules compile while being imported deferred
    (each one a :class:`LazyPattern`, compiled when first used).

    PyYAML compiles its pure-Python reader's and resolver's patterns when imported (its reader's class of
    non-printable characters alone costs more than all the rest of ``import yaml``: ~20 ms); synth reads
    YAML through libyaml's events and needs those patterns only on the Python parser's path (a file libyaml
    refuses, to word its error), where they are then compiled as before. Only calls made from the module's
    own code (``name`` and ``name.*``) are deferred: another thread's ``re.compile`` meanwhile gets a real
    pattern. A module imported already is returned as it is.

    >>> import_with_lazy_patterns("yaml").reader.Reader.NON_PRINTABLE.search("ok\\x07").start()
    2
    """
    if name in sys.modules:
        return sys.modules[name]

    def compile_for(pattern: Any, flags: Any = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == name or caller.startswith(name + "."):
            return LazyPattern(pattern, flags)
        return _compile(pattern, flags)

    re.compile = compile_for  # type: ignore[assignment]
    try:
        return importlib.import_module(name)
    finally:
        re.compile = _compile


def skip_pydantic_plugin_search() -> None:
    """Let pydantic skip importing :mod:`importlib.metadata` (~15 ms) when plugins are turned off.

    The first validator pydantic builds calls ``pydantic.plugin._loader.get_plugins()``, whose module imports
    :mod:`importlib.metadata` to search every installed package's entry points, even when the environment
    says ``PYDANTIC_DISABLE_PLUGINS=__all__`` and it returns no plugin without searching. This puts a stand-in
    for that module in its place: ``get_plugins()`` returns no plugin while the variable says they are off
    (pydantic's own test), and otherwise, like any other name asked of it, comes from pydantic's real module,
    imported then. For the command line, which turns plugins off (:func:`synth.cli.main`); a no-op once
    pydantic's module is imported.
    """
    if _LOADER in sys.modules:
        return
    stand_in = ModuleType(_LOADER, "pydantic's plugin loader, imported when plugins are on (see synth.lazy)")

    def real_loader() -> ModuleType:
        if sys.modules.get(_LOADER) is stand_in:
            del sys.modules[_LOADER]
        return importlib.import_module(_LOADER)

    def get_plugins() -> Any:
        if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true"):
            return ()
        return real_loader().get_plugins()

    def other(attr: str) -> Any:
        if attr.startswith("__"):  # what the import system asks of any module (__path__ ...): not there
            raise AttributeError(attr)
        return getattr(real_loader(), attr)

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = other  # type: ignore[method-assign]
    sys.modules[_LOADER] = stand_in


_LOADER = "pydantic.plugin._loader"


#: The numpydoc parser pyarrow.compute reads its options classes' docstrings with (and imports :mod:`pydoc` for).
_DOCSCRAPE = "pyarrow.vendored.docscrape"


def skip_compute_option_docs() -> None:
    """Let ``import pyarrow.compute`` skip parsing the docstrings of its ~100 options classes (~85 M instructions of
    its ~200 M; `synth fit` imports it through pandas, `synth generate` to make values).

    pyarrow.compute writes a docstring for each of its ~280 functions when imported, and for those that take
    options it parses the options class's numpydoc docstring (``pyarrow.vendored.docscrape``) to list their
    parameters. While pyarrow.compute is imported, a stand-in for that parser gives no parameters: the functions are
    the same (what they do, their signatures), their ``help()`` lists no option parameters. Any other use of the
    parser (a later ``import pyarrow.vendored.docscrape``, or a pyarrow that asks it for something else) gets the
    real one. For the command line (:func:`synth.cli.main`); a no-op once pyarrow.compute is imported.
    """
    if "pyarrow.compute" in sys.modules or any(isinstance(f, _ComputeWithoutOptionDocs) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _ComputeWithoutOptionDocs())


class _ComputeWithoutOptionDocs:
    """A meta-path finder: see :func:`skip_compute_option_docs`."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "pyarrow.compute":
            return None
        if self in sys.meta_path:  # once: pyarrow.compute is imported now
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader.exec_module = _with_docscrape_stand_in(spec.loader.exec_module)  # type: ignore[method-assign]
        return spec


class _NoParameters(dict):  # type: ignore[type-arg]
    """What the stand-in parser makes of a docstring: no section has anything in it."""

    def __init__(self, docstring: Any = None) -> None:
        super().__init__()

    def __missing__(self, section: str) -> list[Any]:
        return []


def _with_docscrape_stand_in(exec_module: Any) -> Any:
    def exec_with_stand_in(module: ModuleType) -> None:
        if _DOCSCRAPE in sys.modules:  # the real parser is there already: nothing to save
            return exec_module(module)
        stand_in = ModuleType(_DOCSCRAPE, "numpydoc's parser as pyarrow.compute's import sees it (see synth.lazy)")
        stand_in.NumpyDocString = _NoParameters  # type: ignore[attr-defined]

        def real(attr: str) -> Any:  # anything else: from the real module
            if attr.startswith("__"):
                raise AttributeError(attr)
            if sys.modules.get(_DOCSCRAPE) is stand_in:
                del sys.modules[_DOCSCRAPE]
            return getattr(importlib.import_module(_DOCSCRAPE), attr)

        stand_in.__getattr__ = real  # type: ignore[method-assign]
        sys.modules[_DOCSCRAPE] = stand_in
        try:
            exec_module(module)
        finally:
            if sys.modules.get(_DOCSCRAPE) is stand_in:
                del sys.modules[_DOCSCRAPE]
    return exec_with_stand_in


# numpy and pyarrow (with its compute kernels) are what generating values needs, and most of what a light
# command would otherwise pay for at start-up (`synth kinds` builds every kind but makes no values).
# Modules that make values import them from here: ``from ..lazy import np, pa, pc``.
if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    np, pa, pc = LazyModule("numpy"), LazyModule("pyarrow"), LazyModule("pyarrow.compute")
