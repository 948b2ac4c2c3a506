"""A small, safe expression language for derived columns, evaluated on whole columns at once.

Expressions look like Python (``round(price * quantity, 2)``, ``if(type == "drink", 1, 0)``,
``hour(time) < 12 and not member``) but are never given to ``eval``: the text is parsed with ``ast``,
every node is checked against a short allow-list, and the tree is compiled into calls of
``pyarrow.compute`` kernels, which work on whole columns (vectorized, null-aware).

>>> import pyarrow as pa
>>> e = Expression.parse("round(price * quantity, 2)")
>>> sorted(e.names)
['price', 'quantity']
>>> e.evaluate({"price": pa.array([2.5, 3.1]), "quantity": pa.array([3, 1])}, 2).to_pylist()
[7.5, 3.1]

Operators: ``+ - * / // % **``, comparisons (chains allowed), ``and or not``, ``x in [..]``,
``a if cond else b``. Functions: see :data:`FUNCTIONS` (adding one is one entry there; the draft prompt
lists them from it).

Parsing makes no Arrow value (constants become scalars at the first evaluation), so a schema is checked
without pyarrow; :meth:`Expression.result_type` tells from the columns' types alone whether an expression
evaluates on any values of those types, which lets `synth validate` skip its trial run:

>>> Expression.parse("round(price * quantity, 2)").result_type({"price": "float", "quantity": "integer"})
'float'
>>> Expression.parse("price * name").result_type({"price": "float", "name": "string"}) is None  # not provably fine
True
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .lazy import pa, pc  # imported when an expression is first parsed: `synth kinds` needs neither

Value = Any  # a pyarrow Array or Scalar


def _float(x: Value) -> Value:
    return pc.cast(x, pa.float64())


def _is_integer(x: Value) -> bool:
    return pa.types.is_integer(x.type)


def _duration(unit_seconds: int) -> Callable[[Value], Value]:
    def make(x: Value) -> Value:
        seconds = pc.round(pc.multiply(_float(x), unit_seconds))
        return pc.cast(pc.cast(seconds, pa.int64()), pa.duration("s"))
    return make


def _round(x: Value, digits: Value = None) -> Value:
    n = 0 if digits is None else int(digits.as_py())
    if _is_integer(x) and n >= 0:
        return x
    out = pc.round(x, ndigits=n, round_mode="half_to_even")
    return out


def _if(cond: Value, a: Value, b: Value) -> Value:
    return pc.if_else(cond, a, b)


def _mod(a: Value, b: Value) -> Value:
    out = pc.subtract(_float(a), pc.multiply(pc.floor(pc.divide(_float(a), _float(b))), _float(b)))
    return pc.cast(out, pa.int64()) if _is_integer(a) and _is_integer(b) else out


def _floordiv(a: Value, b: Value) -> Value:
    out = pc.floor(pc.divide(_float(a), _float(b)))
    return pc.cast(out, pa.int64()) if _is_integer(a) and _is_integer(b) else out


def _as_timestamp(x: Value) -> Value:
    """strftime needs timestamps; dates and times of day are widened to one."""
    if pa.types.is_date(x.type):
        return pc.cast(x, pa.timestamp("s"))
    if pa.types.is_time(x.type):
        seconds = pc.cast(pc.cast(x, pa.time32("s")), pa.int32())
        return pc.cast(pc.cast(seconds, pa.int64()), pa.timestamp("s"))
    return x


def _text(x: Value) -> Value:
    return pc.cast(x, pa.string())


def _concat(*parts: Value) -> Value:
    return pc.binary_join_element_wise(*[_text(p) for p in parts], "")


@dataclass(frozen=True)
class Function:
    """A function of the expression language: how it is called, what it does, and the kernel that does it.

    >>> FUNCTIONS["round"].usage, FUNCTIONS["round"].name
    ('round(x, digits)', 'round')
    """

    usage: str  # the call as people write it; the text before "(" is the name
    doc: str  # one line, for people and for the LLM that drafts schemas
    run: Callable[..., Value]  # takes and returns Arrow arrays or scalars, whole columns at once
    min_args: int
    max_args: int

    @property
    def name(self) -> str:
        return self.usage.split("(", 1)[0]


# Kernels are wrapped in lambdas so that pyarrow.compute is imported at the first call, not here.
_FUNCTION_LIST = [
    Function("round(x, digits)", "x rounded to digits decimals (default 0), halves to even", _round, 1, 2),
    Function("abs(x)", "absolute value", lambda x: pc.abs(x), 1, 1),
    Function("floor(x)", "largest whole number <= x", lambda x: pc.floor(x), 1, 1),
    Function("ceil(x)", "smallest whole number >= x", lambda x: pc.ceil(x), 1, 1),
    Function("sqrt(x)", "square root", lambda x: pc.sqrt(_float(x)), 1, 1),
    Function("log(x)", "natural logarithm", lambda x: pc.ln(_float(x)), 1, 1),
    Function("exp(x)", "e to the power x", lambda x: pc.exp(_float(x)), 1, 1),
    Function("min(a, b, ...)", "smallest of its arguments, row by row", lambda *xs: pc.min_element_wise(*xs), 2, 16),
    Function("max(a, b, ...)", "largest of its arguments, row by row", lambda *xs: pc.max_element_wise(*xs), 2, 16),
    Function("if(cond, a, b)", "a where cond holds, else b", _if, 3, 3),
    Function("coalesce(a, b, ...)", "the first argument that is not empty", lambda *xs: pc.coalesce(*xs), 2, 16),
    Function("is_null(x)", "true where x is empty", lambda x: pc.is_null(x), 1, 1),
    Function("int(x)", "x as a whole number (cut towards zero)",
             lambda x: pc.cast(pc.trunc(_float(x)) if not _is_integer(x) else x, pa.int64()), 1, 1),
    Function("float(x)", "x as a real number", _float, 1, 1),
    Function("str(x)", "x as text", _text, 1, 1),
    Function("concat(a, ...)", "its arguments as text, joined", _concat, 1, 16),
    Function("upper(s)", "text in capitals", lambda x: pc.utf8_upper(x), 1, 1),
    Function("lower(s)", "text in small letters", lambda x: pc.utf8_lower(x), 1, 1),
    Function("len(s)", "number of characters", lambda x: pc.utf8_length(x), 1, 1),
    Function("year(d)", "year of a date or datetime", lambda x: pc.year(x), 1, 1),
    Function("quarter(d)", "quarter of the year, 1-4", lambda x: pc.quarter(x), 1, 1),
    Function("month(d)", "month, 1-12", lambda x: pc.month(x), 1, 1),
    Function("day(d)", "day of the month", lambda x: pc.day(x), 1, 1),
    Function("weekday(d)", "day of the week, Monday = 0", lambda x: pc.day_of_week(x), 1, 1),
    Function("dayofyear(d)", "day of the year, 1-366", lambda x: pc.day_of_year(x), 1, 1),
    Function("hour(t)", "hour of a time or datetime, 0-23", lambda x: pc.hour(x), 1, 1),
    Function("minute(t)", "minute, 0-59", lambda x: pc.minute(x), 1, 1),
    Function("second(t)", "second, 0-59", lambda x: pc.second(x), 1, 1),
    Function("date(dt)", "the date of a datetime", lambda x: pc.cast(x, pa.date32()), 1, 1),
    Function("format(d, pattern)", "a date, time or datetime as text, e.g. format(date, '%a') is Mon",
             lambda x, fmt: pc.strftime(_as_timestamp(x), format=fmt.as_py()), 2, 2),
    Function("seconds(x)", "a duration of x seconds, to add to times and datetimes", _duration(1), 1, 1),
    Function("minutes(x)", "a duration of x minutes", _duration(60), 1, 1),
    Function("hours(x)", "a duration of x hours", _duration(3600), 1, 1),
    Function("days(x)", "a duration of x days, to add to dates and datetimes", _duration(86400), 1, 1),
]
#: Every function an expression may call, by name.
FUNCTIONS: dict[str, Function] = {f.name: f for f in _FUNCTION_LIST}


def functions_reference() -> str:
    """One line per function, its call and what it does: for the draft prompt and the docs.

    >>> functions_reference().splitlines()[0]
    '- round(x, digits): x rounded to digits decimals (default 0), halves to even'
    """
    return "\n".join(f"- {f.usage}: {f.doc}" for f in FUNCTIONS.values())


_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: pc.add(a, b),
    ast.Sub: lambda a, b: pc.subtract(a, b),
    ast.Mult: lambda a, b: pc.multiply(a, b),
    ast.Div: lambda a, b: pc.divide(_float(a), _float(b)),
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
    ast.Pow: lambda a, b: pc.power(_float(a), _float(b)),
}
_COMPARE: dict[type, Callable[[Value, Value], Value]] = {
    ast.Eq: lambda a, b: pc.equal(a, b), ast.NotEq: lambda a, b: pc.not_equal(a, b),
    ast.Lt: lambda a, b: pc.less(a, b), ast.LtE: lambda a, b: pc.less_equal(a, b),
    ast.Gt: lambda a, b: pc.greater(a, b), ast.GtE: lambda a, b: pc.greater_equal(a, b),
}


class ExpressionError(ValueError):
    """The expression text is not valid; the message says where."""


#: Text that tokenizing and untokenizing gives back as it is: no string, comment, line break, tab or backslash.
_PLAIN_TEXT = re.compile(r"[^\"'#\\\n\r\t\f\v]*")


def _rename_if(text: str) -> str:
    """``if(`` is a Python keyword; turn the call form into a name the parser accepts.

    >>> _rename_if("if(a > 1, 'x', 'y')"), _rename_if("price * qty")
    ("if_(a > 1, 'x', 'y')", 'price * qty')
    """
    if "if" not in text and _PLAIN_TEXT.fullmatch(text) and _brackets_close(text):
        # Nothing to rename, and the tokenizer would give the text back as it is (it raises only for an open bracket
        # or string at the end): its first use compiles its patterns, ~14 M instructions of `synth validate`.
        return text
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError) as exc:
        raise ExpressionError(f"cannot read expression {text!r}: {exc}") from None
    out = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.type == tokenize.NAME and tok.string == "if" and nxt is not None and nxt.string == "(":
            tok = tok._replace(string="if_")
        out.append(tok)
    return tokenize.untokenize(out)


def _brackets_close(text: str) -> bool:
    """Whether as many brackets close as open (the tokenizer counts ``([{`` up and ``)]}`` down, of any kind)."""
    return sum(map(text.count, "([{")) == sum(map(text.count, ")]}"))


Node = Callable[[dict[str, "pa.Array"]], Value]


def _constant(value: Any, array: bool = False) -> Node:
    """A node giving ``value`` as an Arrow scalar (or array), made at the first evaluation: parsing imports no pyarrow."""
    made: list[Value] = []

    def constant(cols: Any) -> Value:
        if not made:
            made.append(pa.array(value) if array else pa.scalar(value))
        return made[0]
    return constant


def _constant_type(value: Any) -> str | None:
    """The type of a constant as the expression language types it (None: a missing value, or out of range)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return integer_type([value])
    return {float: "float", str: "string"}.get(type(value))


@dataclass
class Expression:
    """A parsed expression: the column ``names`` it reads and a compiled evaluator."""

    text: str
    names: set[str] = field(default_factory=set)
    _fn: Node | None = None
    _tree: ast.expr | None = None

    @classmethod
    def parse(cls, text: str) -> "Expression":
        if not isinstance(text, str) or not text.strip():
            raise ExpressionError("expression is empty")
        source = _rename_if(text.strip())
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"invalid syntax in {text!r} at character {exc.offset}") from None
        expr = cls(text=text)
        expr._fn = expr._compile(tree.body)
        expr._tree = tree.body
        return expr

    def result_type(self, types: Mapping[str, str | None]) -> str | None:
        """The type of the result (``integer``: whole numbers within +-2**53; ``int64``: any 64-bit whole
        numbers; ``float``, ``string``, ``boolean``, ``date``, ``time`` or ``datetime``) when the expression evaluates without error on *any* values of the columns' ``types``
        (missing values included); None when that cannot be told without values (a column of unknown type, an
        operation that can fail on some values, such as ``int(x)`` of a float or ``a // b`` of whole numbers).

        Sound, not complete: None means "make values to find out" (``synth validate``'s trial run), never
        "invalid".

        >>> Expression.parse("if(hour(time) < 12, 'am', 'pm')").result_type({"time": "time"})
        'string'
        >>> Expression.parse("a // b").result_type({"a": "integer", "b": "integer"}) is None  # b may be 0
        True
        >>> Expression.parse("a * 1.5").result_type({"a": "int64"}) is None  # beyond 2**53: no exact float
        True
        """
        assert self._tree is not None
        return _TypeOf(types).of(self._tree)

    def rounded_to(self) -> int | None:
        """The decimals ``d`` when the whole expression is ``round(x, d)`` (its result has that fixed scale)."""
        body = ast.parse(_rename_if(self.text.strip()), mode="eval").body
        if (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "round"
                and len(body.args) == 2 and isinstance(body.args[1], ast.Constant)
                and isinstance(body.args[1].value, int) and not isinstance(body.args[1].value, bool)
                and body.args[1].value >= 0):
            return int(body.args[1].value)
        return None

    def evaluate(self, columns: dict[str, pa.Array], n: int) -> pa.Array:
        """Evaluate on ``columns`` (each of length ``n``); a constant result is repeated ``n`` times."""
        assert self._fn is not None
        try:
            out = self._fn(columns)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ExpressionError(f"cannot evaluate {self.text!r}: {str(exc).splitlines()[0]}") from None
        if isinstance(out, pa.ChunkedArray):
            out = out.combine_chunks()
        if isinstance(out, pa.Scalar):
            out = pa.repeat(out, n)
        return out

    # --- compilation: AST node -> closure over the columns -----------------------------------
    def _compile(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, str, bool)) and node.value is not None:
                raise ExpressionError(f"{self.text!r}: constants must be numbers, text, true/false or None")
            return _constant(node.value)
        dotted = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and not node.attr.startswith("_")
        if isinstance(node, ast.Name) or dotted:
            name = {"true": True, "false": False, "True": True, "False": False, "None": None, "null": None}
            if isinstance(node, ast.Name) and node.id in name:
                return _constant(name[node.id])
            # ``customers.signup_date``: a column of a related table (a parent, or a row a reference points at)
            col = f"{node.value.id}.{node.attr}" if dotted else node.id  # type: ignore[attr-defined]
            self.names.add(col)

            def read(cols: dict[str, pa.Array]) -> Value:
                arr = cols[col]
                return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr
            return read
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], self._compile(node.left), self._compile(node.right)
            return lambda cols: op(left(cols), right(cols))
        if isinstance(node, ast.UnaryOp):
            operand = self._compile(node.operand)
            if isinstance(node.op, ast.USub):
                return lambda cols: pc.negate(operand(cols))
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(node.op, ast.Not):
                return lambda cols: pc.invert(operand(cols))
        if isinstance(node, ast.BoolOp):
            parts = [self._compile(v) for v in node.values]
            combine = pc.and_kleene if isinstance(node.op, ast.And) else pc.or_kleene

            def boolop(cols: dict[str, pa.Array]) -> Value:
                out = parts[0](cols)
                for p in parts[1:]:
                    out = combine(out, p(cols))
                return out
            return boolop
        if isinstance(node, ast.Compare):
            return self._compile_compare(node)
        if isinstance(node, ast.IfExp):
            cond, a, b = self._compile(node.test), self._compile(node.body), self._compile(node.orelse)
            return lambda cols: pc.if_else(cond(cols), a(cols), b(cols))
        if isinstance(node, ast.Call):
            return self._compile_call(node)
        what = type(node).__name__
        if isinstance(node, ast.Attribute):
            what = "attribute access beyond table.column"
        elif isinstance(node, ast.Subscript):
            what = "indexing (a[b])"
        raise ExpressionError(f"{self.text!r}: {what} is not allowed in expressions (character {getattr(node, 'col_offset', 0) + 1})")

    def _compile_compare(self, node: ast.Compare) -> Node:
        operands = [self._compile(node.left)]
        steps: list[Callable[[Value, Value], Value]] = []
        for op, comparator in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(comparator, (ast.List, ast.Tuple, ast.Set)) or not all(
                    isinstance(e, ast.Constant) for e in comparator.elts
                ):
                    raise ExpressionError(f"{self.text!r}: 'in' needs a list of constants, like x in ['a', 'b']")
                listed = [e.value for e in comparator.elts]  # type: ignore[attr-defined]
                if len({_constant_type(v) for v in listed if v is not None}) > 1:
                    raise ExpressionError(f"{self.text!r}: the list after 'in' mixes kinds of values (e.g. numbers and text)")
                values = _constant(listed, array=True)
                negate = isinstance(op, ast.NotIn)
                steps.append(lambda a, _b, v=values, neg=negate: pc.invert(pc.is_in(a, value_set=v(None))) if neg
                             else pc.is_in(a, value_set=v(None)))
                operands.append(lambda cols: None)
                continue
            if type(op) not in _COMPARE:
                raise ExpressionError(f"{self.text!r}: operator {type(op).__name__} is not allowed")
            steps.append(_COMPARE[type(op)])
            operands.append(self._compile(comparator))

        def compare(cols: dict[str, pa.Array]) -> Value:
            values = [o(cols) for o in operands]
            out = None
            for i, step in enumerate(steps):
                part = step(values[i], values[i + 1])
                out = part if out is None else pc.and_kleene(out, part)
            return out
        return compare

    def _compile_call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"{self.text!r}: only plain function calls like round(x, 2) are allowed")
        name = "if" if node.func.id == "if_" else node.func.id
        if name not in FUNCTIONS:
            import difflib  # (only for a mistake)

            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(FUNCTIONS))})"
            raise ExpressionError(f"{self.text!r}: unknown function {name!r}{hint}")
        if node.keywords:
            raise ExpressionError(f"{self.text!r}: {name}() takes positional arguments only")
        function = FUNCTIONS[name]
        fn, lo, hi = function.run, function.min_args, function.max_args
        if not lo <= len(node.args) <= hi:
            count = str(lo) if lo == hi else f"{lo} to {hi}"
            raise ExpressionError(f"{self.text!r}: {name}() takes {count} arguments, got {len(node.args)}")
        if name == "round" and len(node.args) == 2 and not isinstance(node.args[1], ast.Constant):
            raise ExpressionError(f"{self.text!r}: the digits of round(x, digits) must be a number")
        if name == "format" and not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            raise ExpressionError(f"{self.text!r}: the pattern of format(x, pattern) must be text like '%a'")
        args = [self._compile(a) for a in node.args]
        return lambda cols: fn(*[a(cols) for a in args])


# --- types: whether an expression evaluates on any values of its columns' types ------------------------
# "integer": whole numbers within +-2**53, which Arrow turns into floats exactly (mixed with floats, in /, sqrt
# ...); "int64": any 64-bit whole numbers, which such a conversion refuses beyond 2**53.
_INTEGER = ("integer", "int64")
_NUMBER = (*_INTEGER, "float")
_TEMPORAL = ("date", "time", "datetime")
_FLOATABLE = ("integer", "float")  # converted to floats exactly, whatever the value
# Patterns whose every directive pyarrow's ``strftime`` formats for any value (the usual ones).
_FORMAT = re.compile(r"(?:[^%]|%[aAbBdHIjmMpSyYFTDeRu%])*")


def integer_type(values: Any) -> str | None:
    """``integer`` for whole numbers within +-2**53, ``int64`` for any others that fit 64 bits, else None.

    >>> integer_type([1, -5]), integer_type([2**60]), integer_type([2**70])
    ('integer', 'int64', None)
    """
    values = list(values)
    if all(-2**53 <= v <= 2**53 for v in values):
        return "integer"
    return "int64" if all(-2**63 <= v < 2**63 for v in values) else None


def _same(*types: str | None) -> str | None:
    """The type Arrow gives values of ``types`` combined (if_else, coalesce, min, +, comparisons): one type;
    whole numbers of both widths (int64); or floats with whole numbers Arrow converts exactly. Else None."""
    if not types or any(t is None for t in types):
        return None
    kinds = set(types)
    if len(kinds) == 1:
        return types[0]
    if kinds <= set(_INTEGER):
        return "int64"
    return "float" if kinds <= set(_FLOATABLE) else None


class _TypeOf:
    """Types an expression's tree bottom up; None wherever evaluation could fail or the type is unknown."""

    def __init__(self, types: Mapping[str, str | None]) -> None:
        self.types = types

    def of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant):
            return _constant_type(node.value)
        if isinstance(node, ast.Name):
            fixed = {"true": "boolean", "false": "boolean", "True": "boolean", "False": "boolean"}
            if node.id in fixed:
                return fixed[node.id]
            return None if node.id in ("None", "null") else self.types.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self.types.get(f"{node.value.id}.{node.attr}")
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.of(node.operand)
            if isinstance(node.op, ast.Not):
                return "boolean" if operand == "boolean" else None
            return operand if operand in _NUMBER else None
        if isinstance(node, ast.BoolOp):
            return "boolean" if all(self.of(v) == "boolean" for v in node.values) else None
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            return _same(self.of(node.body), self.of(node.orelse)) if self.of(node.test) == "boolean" else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call("if" if node.func.id == "if_" else node.func.id, node.args)
        return None

    def _binary(self, node: ast.BinOp) -> str | None:
        left, right = self.of(node.left), self.of(node.right)
        if left not in _NUMBER or right not in _NUMBER:
            return None
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            both = _same(left, right)
            return "int64" if both in _INTEGER else both  # sums and products of whole numbers may leave +-2**53
        if left not in _FLOATABLE or right not in _FLOATABLE:  # these convert both sides to floats first
            return None
        if isinstance(node.op, (ast.Div, ast.Pow)):
            return "float"
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            # whole numbers: floor(a / b) is cast back to integers, which fails where b is 0 (a nonzero constant never
            # is); the result is no larger than a (//) or b (%)
            if "float" in (left, right):
                return "float"
            divisor = node.right
            return "integer" if isinstance(divisor, ast.Constant) and divisor.value not in (0, False) else None
        return None

    def _compare(self, node: ast.Compare) -> str | None:
        left = self.of(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                listed = {_constant_type(e.value) for e in comparator.elts if e.value is not None}  # type: ignore[attr-defined]
                if len(listed) != 1 or _same(left, *listed) is None:
                    return None
                continue
            right = self.of(comparator)
            if _same(left, right) is None:
                return None
            if left == "boolean" and not isinstance(op, (ast.Eq, ast.NotEq)):
                return None
            left = right
        return "boolean"

    def _call(self, name: str, args: list[ast.expr]) -> str | None:
        types = [self.of(a) for a in args]
        if any(t is None for t in types):
            return None
        first = types[0] if types else None
        if name == "round":
            if len(args) == 2 and not (isinstance(args[1], ast.Constant) and type(args[1].value) is int):
                return None
            digits = args[1].value if len(args) == 2 else 0  # type: ignore[attr-defined]
            return first if first == "float" or (first in _INTEGER and digits >= 0) else None
        if name == "abs":
            return first if first in _NUMBER else None
        if name in ("floor", "ceil", "sqrt", "log", "exp", "float"):
            return "float" if first in _FLOATABLE or (name == "float" and first == "boolean") else None
        if name in ("min", "max", "coalesce"):
            both = _same(*types)
            return both if name == "coalesce" or both in _NUMBER else None
        if name == "if":
            return _same(types[1], types[2]) if first == "boolean" else None
        if name == "is_null":
            return "boolean"
        if name == "int":
            return first if first in _INTEGER else None  # a float cast to integers fails on NaN and infinities
        if name in ("str", "concat"):
            return "string"
        if name in ("upper", "lower"):
            return "string" if first == "string" else None
        if name == "len":
            return "integer" if first == "string" else None
        if name in ("year", "quarter", "month", "day", "weekday", "dayofyear"):
            return "integer" if first in ("date", "datetime") else None
        if name in ("hour", "minute", "second"):
            return "integer" if first in ("time", "datetime") else None
        if name == "date":
            return "date" if first in ("date", "datetime") else None
        if name == "format":
            pattern = args[1].value if isinstance(args[1], ast.Constant) else None  # type: ignore[attr-defined]
            plain = isinstance(pattern, str) and _FORMAT.fullmatch(pattern) is not None
            return "string" if first in _TEMPORAL and plain else None
        return None  # durations (seconds(), days() ...) and anything new: found out by making values
