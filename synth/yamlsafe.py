"""Read YAML safely and remember where every value came from.

Why not ``yaml.safe_load``: it resolves YAML 1.1 surprises (``06:00`` is the integer 360, ``no`` is
``False``), it expands aliases (a few lines can blow up to gigabytes), and it forgets line numbers, so a
validation error could not say where the mistake is. This loader:

- resolves scalars by the YAML 1.2 core schema (null, true/false, ints, floats; everything else a string);
- refuses anchors/aliases and any tag (no Python objects, no ``!!`` tricks);
- refuses files larger than :data:`MAX_BYTES`, and nesting deeper than :data:`MAX_DEPTH` levels (the
  parser recurses once per level: a few hundred levels would exhaust Python's stack);
- returns the data plus a map from each key path to its ``(line, column)``, both 1-based.

>>> data, where = load_yaml_text("a:\\n  b: 06:00\\n")
>>> data, where[("a", "b")]
({'a': {'b': '06:00'}}, (2, 6))
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SynthError
from .lazy import import_with_lazy_patterns

if TYPE_CHECKING:
    import yaml
else:  # PyYAML's Python parser compiles its patterns when first used: libyaml reads the files (see synth.lazy)
    yaml = import_with_lazy_patterns("yaml")

MAX_BYTES = 5_000_000
#: Mappings and lists inside one another; a real schema needs fewer than 10 (columns > cases > profile).
MAX_DEPTH = 50

Location = tuple[int, int]
Path_ = tuple[Any, ...]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# Leading zeros ("00123") stay strings: they are codes, not numbers.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_INT_BASED = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


# The tags the composer gives untagged nodes; any explicit tag (!!python/..., !custom) is refused.
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str",
               "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
               "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.style and node.style in "'\"|>":  # quoted or block: always a string (plain: None, or "" from libyaml)
        return node.value
    return plain_scalar(node.value)


#: Scalars already resolved (a learned schema repeats its category names and numbers many times over).
_RESOLVED: dict[str, Any] = {}
_RESOLVED_MAX = 200_000


def plain_scalar(text: str) -> Any:
    """What an unquoted scalar means: None, a bool, an int, a float, or the text itself.

    Also how the cells of a catalog's CSV file are typed, so a record means the same in a file as in the schema:

    >>> [plain_scalar(t) for t in ("00123", "123", "1_000", "1.5", "true", "no", "", "06:00")]
    ['00123', 123, 1000, 1.5, True, 'no', None, '06:00']
    """
    try:
        return _RESOLVED[text]
    except KeyError:
        pass
    value = _resolve(text)
    if len(_RESOLVED) < _RESOLVED_MAX:
        _RESOLVED[text] = value
    return value


def _resolve(text: str) -> Any:
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _INT_BASED.match(text):
        return int(text, 0)
    if _FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith("inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        if lowered.endswith("nan"):
            return float("nan")
        return float(text.replace("_", ""))
    return text


def _build(node: yaml.Node, path: Path_, where: dict[Path_, Location], source: str) -> Any:
    where[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in _PLAIN_TAGS:
        raise SynthError(f"{source}:{where[path][0]}: tags such as {node.tag!r} are not allowed in a schema")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SynthError(f"{source}:{key_node.start_mark.line + 1}: mapping keys must be plain values")
            key = _scalar(key_node)
            if key in out:
                raise SynthError(f"{source}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
            out[key] = _build(value_node, path + (key,), where, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), where, source) for i, item in enumerate(node.value)]
    return _scalar(node)


class _TooDeep(yaml.composer.ComposerError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    """Composes nodes but refuses anchors and aliases outright, and nesting deeper than MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a schema", event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed in a schema", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _TooDeep(None, None, f"nested deeper than {MAX_DEPTH} levels (the limit for a schema)", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_KEY = object()  # a mapping waiting for its next key


def _build_with_libyaml(text: str) -> tuple[Any, dict[Path_, Location]] | None:
    """``(data, where)`` built straight from libyaml's events (one C pass, no node tree, no YAML 1.1 resolver: a
    learned multi-table schema has half a million scalars, which the composer path took a minute over), or None
    for anything unusual (a tag, an anchor, an alias, deep nesting, a duplicate or non-scalar key, several
    documents, a syntax error): :func:`_compose_with_libyaml` and the Python parser then give the usual result or
    the one message for it, so nothing depends on which path ran.

    >>> _build_with_libyaml("a: [1, '2', x]\\nb: {c: null}\\n")
    ({'a': [1, '2', 'x'], 'b': {'c': None}}, {(): (1, 1), ('a',): (1, 4), ('a', 0): (1, 5), ('a', 1): (1, 8), ('a', 2): (1, 13), ('b',): (2, 4), ('b', 'c'): (2, 8)})
    >>> _build_with_libyaml("a: !!str 1\\n") is None
    True
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    parser = yaml.CSafeLoader(text)
    try:
        get = parser.get_event
        if not isinstance(get(), yaml.StreamStartEvent):
            return None
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None, {}
        if not isinstance(event, yaml.DocumentStartEvent):
            return None
        where: dict[Path_, Location] = {}
        stack: list[list[Any]] = []  # [container, its path, the pending key of a mapping (or _KEY)]
        root: Any = None
        while True:
            event = get()
            cls = type(event)
            if cls is scalar_event or cls is mapping_start or cls is sequence_start:
                if event.anchor is not None or event.tag is not None or len(stack) >= MAX_DEPTH:
                    return None
                if cls is scalar_event:
                    style = event.style
                    value = event.value if style and style in "'\"|>" else plain_scalar(event.value)
                else:
                    value = {} if cls is mapping_start else []
                if stack:
                    top = stack[-1]
                    container = top[0]
                    if type(container) is list:
                        path = top[1] + (len(container),)
                        container.append(value)
                    elif top[2] is _KEY:  # a key: scalar and new, or the slow path says why not
                        if cls is not scalar_event or value in container:
                            return None
                        top[2] = value
                        continue
                    else:
                        path = top[1] + (top[2],)
                        container[top[2]] = value
                        top[2] = _KEY
                else:
                    path, root = (), value
                mark = event.start_mark
                where[path] = (mark.line + 1, mark.column + 1)
                if cls is not scalar_event:
                    stack.append([value, path, _KEY])
            elif isinstance(event, collection_end):
                stack.pop()
            elif isinstance(event, yaml.DocumentEndEvent):
                break
            else:  # an alias, or anything else unexpected
                return None
        if not isinstance(get(), yaml.StreamEndEvent):  # several documents
            return None
        return root, where
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()


def _compose_with_libyaml(text: str) -> yaml.Node | None:
    """The node tree by libyaml (C, several times faster than the Python parser), or None to use the latter.

    libyaml composes in C, so the checks of :class:`_NoAliasLoader` run on its events first (a second C
    pass). Anything unusual (an alias, an anchor, deep nesting, a syntax error) gives None: the Python
    parser then fails with the one message for it, so errors do not depend on which parser ran.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return None
            if isinstance(event, yaml.NodeEvent) and depth >= MAX_DEPTH:  # as _NoAliasLoader counts
                return None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        loader = yaml.CSafeLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None


def _compose_with_python(text: str, source: str) -> yaml.Node | None:
    """The node tree by PyYAML's Python parser, with the checks of :class:`_NoAliasLoader`; errors name the line."""
    try:
        loader = _NoAliasLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character), found before parsing
        line = text.count("\n", 0, exc.position) + 1
        raise SynthError(f"{source}:{line}: invalid YAML: unacceptable character #x{exc.character:04x}: {exc.reason}") from None
    try:
        return loader.get_single_node()
    except _TooDeep as exc:
        mark = exc.problem_mark
        raise SynthError(f"{source}:{mark.line + 1}:{mark.column + 1}: {exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise SynthError(f"{source}{line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SynthError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml_text(text: str, source: str = "<schema>") -> tuple[Any, dict[Path_, Location]]:
    """Parse YAML text; return ``(data, where)`` with ``where[path] = (line, column)``."""
    if len(text.encode("utf-8", errors="ignore")) > MAX_BYTES:
        raise SynthError(f"{source}: file is larger than {MAX_BYTES // 1_000_000} MB; a schema should be small")
    built = _build_with_libyaml(text)
    if built is not None:
        return built
    node = _compose_with_libyaml(text)
    if node is None:
        node = _compose_with_python(text, source)
    where: dict[Path_, Location] = {}
    if node is None:
        return None, where
    return _build(node, (), where, source), where


#: One parse handed from a caller that only looked (``keep=True``) to the next reader of the same text.
_kept: tuple[str, str, tuple[Any, dict[Path_, Location]]] | None = None


def load_yaml_file(path: str | Path, keep: bool = False) -> tuple[Any, dict[Path_, Location]]:
    """Read and parse a YAML file with the rules above; errors name the file.

    ``keep``: hand this parse to the next call for the same unchanged file, which then does not parse again
    (a command that first looks at a schema, then loads it, parses a learned schema's thousands of lines once).
    """
    global _kept
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SynthError(f"{path}: file is larger than {MAX_BYTES // 1_000_000} MB; a schema should be small")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SynthError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SynthError(f"{path}: is a folder, not a schema file") from None
    except UnicodeDecodeError as exc:
        raise SynthError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SynthError(f"{path}: cannot read ({exc.strerror})") from None
    if _kept is not None and _kept[0] == str(path) and _kept[1] == text:
        parsed, _kept = _kept[2], None
    else:
        parsed = load_yaml_text(text, source=str(path))
    if keep:
        _kept = (str(path), text, parsed)
    return parsed


class _CompactDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml's emitter: same text, faster
    """Block style for structure, flow style for leaves: lists of numbers and flat records on one line."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # schemas never use anchors/aliases (the loader refuses them)


def _is_leaf(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(_is_leaf(v) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    flow = len(data) > 0 and all(_is_leaf(v) for v in data.values()) and ("name" not in data or "kind" not in data)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # PyYAML quotes by YAML 1.1's rules; this loader reads by 1.2's, where "1e3" and "0o17" are numbers.
    style = "'" if not isinstance(plain_scalar(data), str) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_CompactDumper.add_representer(str, _represent_str)
_CompactDumper.add_representer(list, _represent_list)
_CompactDumper.add_representer(dict, _represent_dict)


def dump_yaml(data: dict[str, Any]) -> str:
    """Readable YAML for a schema: one line per record, profile and list of numbers.

    >>> print(dump_yaml({"name": "t", "columns": [{"name": "x", "kind": "choice", "values": {"yes": 2, "1e3": 1}}]}), end="")
    name: t
    columns:
    - name: x
      kind: choice
      values: {'yes': 2, '1e3': 1}
    """
    events: list[yaml.Event] = []
    try:
        _events(data, events, {})
    except _NotPlain:  # a type beyond YAML's plain ones: PyYAML's representer says what it makes of it
        return yaml.dump(data, Dumper=_CompactDumper, sort_keys=False, allow_unicode=True, width=110)
    stream = io.StringIO()
    emitter = _CompactDumper(stream, allow_unicode=True, width=110)
    try:
        emitter.emit(yaml.StreamStartEvent())
        emitter.emit(yaml.DocumentStartEvent(explicit=False))
        for event in events:
            emitter.emit(event)
        emitter.emit(yaml.DocumentEndEvent(explicit=False))
        emitter.emit(yaml.StreamEndEvent())
    finally:
        emitter.dispose()
    return stream.getvalue()


class _NotPlain(Exception):
    pass


_TAG = "tag:yaml.org,2002:"
_RESOLVER = yaml.resolver.Resolver()


def _scalar_event(value: Any, seen: dict[tuple[type, Any], yaml.ScalarEvent]) -> yaml.ScalarEvent:
    """The event PyYAML's representer and serializer make of a plain value (the same tag, implicit flags, text and
    style, so the same bytes), remembered per value: a learned schema repeats its values many times over."""
    kind = type(value)
    key = (kind, value)
    try:
        return seen[key]
    except (KeyError, TypeError):
        pass
    style = None
    if kind is str:
        tag, text = _TAG + "str", value
        style = "'" if not isinstance(plain_scalar(value), str) else None
    elif kind is bool:
        tag, text = _TAG + "bool", "true" if value else "false"
    elif kind is int:
        tag, text = _TAG + "int", str(value)
    elif kind is float:
        tag = _TAG + "float"
        if value != value:
            text = ".nan"
        elif value in (float("inf"), float("-inf")):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
    elif value is None:
        tag, text = _TAG + "null", "null"
    else:
        raise _NotPlain
    implicit = (_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == tag,
                _RESOLVER.resolve(yaml.ScalarNode, text, (False, True)) == tag)
    event = yaml.ScalarEvent(None, tag, implicit, text, style=style)
    if value == value and not (kind is float and value == 0):  # NaN is never found again; 0.0 and -0.0 are equal
        seen[key] = event
    return event


def _events(data: Any, out: list[yaml.Event], seen: dict[tuple[type, Any], yaml.ScalarEvent]) -> None:
    """The emitter's events for ``data``, with :class:`_CompactDumper`'s styles (flow for leaves only)."""
    kind = type(data)
    if kind is dict:
        flow = len(data) > 0 and all(_is_leaf(v) for v in data.values()) and ("name" not in data or "kind" not in data)
        out.append(yaml.MappingStartEvent(None, _TAG + "map", True, flow_style=flow))
        for k, v in data.items():
            _events(k, out, seen)
            _events(v, out, seen)
        out.append(yaml.MappingEndEvent())
    elif kind is list:
        out.append(yaml.SequenceStartEvent(None, _TAG + "seq", True, flow_style=all(_is_leaf(v) for v in data)))
        for v in data:
            _events(v, out, seen)
        out.append(yaml.SequenceEndEvent())
    else:
        out.append(_scalar_event(data, seen))
