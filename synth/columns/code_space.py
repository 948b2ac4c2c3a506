"""The codes of several templates as one space in text order, cut into equal slices: sorted identifiers.

A sorted code column (tail numbers ``N10156``, ``N102UW``, ...; airport codes ``04G``, ``06A``, ..., ``ZZV``)
must stay sorted for any row count and however the table is cut into chunks. :class:`CodeSpace` lines up
every code that the templates can make in text (byte) order, a shorter code before the longer codes it
begins, each code an interval of whole *units*: ``units[k]`` per code of template ``k``, chosen so that
template ``k`` fills its weight's share of the space. Row ``i`` of ``N`` takes the code at a point in the
``i``-th of ``N`` equal slices (the slices shifted by one offset drawn for the column, each point jittered on
its own), so codes rise with the row, each template keeps its share, and a code depends only on (seed, column,
row). With ``unique`` the jitter keeps neighbouring points at least the widest code apart, so no two rows
share a code; that needs every code no wider than a slice (:attr:`CodeSpace.unique_rows`).

Finding the code at a point walks the merged templates one position at a time: a node is a position and the
set of templates the prefix still fits, its entries the characters that can follow (each with the units of the
codes below it) and, first, the end of a code. The nodes are built once; rows are walked together, a group
of rows per node, so the work per row is a few vectorized searches per position.

>>> space = CodeSpace(["?##", "##?"], [3, 1])
>>> codes = space.draw(np.arange(8), 8, seed=1, name="code", unique=True).to_pylist()
>>> codes == sorted(codes), len(set(codes)), sum(c[0].isdigit() for c in codes)
(True, 8, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lazy import np, pa
from .pattern import _capacity, _slots
from .permute import keyed_hash

#: The whole space is at most this many units, so points and slices are counted in int64.
TOTAL_UNITS = 2**61
#: A code of any template is at least this many units wide, so rounding keeps each template's share within 1/64.
MIN_UNITS = 64
#: Nodes of the merged templates; templates that need more are refused (thousands of literal variants).
MAX_NODES = 100_000
_END = -1


@dataclass
class _Node:
    """One position of the merged templates given the templates the prefix fits: its entries in text order."""

    starts: "np.ndarray"  # first unit of each entry within the node (int64, from 0)
    units: "np.ndarray"  # units below each entry
    chars: "np.ndarray"  # each entry's byte, or _END: the code ends here
    nexts: "np.ndarray"  # the node below each entry (-1 after an end)


class CodeSpace:
    """Every code of ``templates`` in text order, template ``k`` holding ``weights[k]``'s share of the space.

    Raises ValueError when a template holds too many codes to be weighed in int64 units (see ``MIN_UNITS``).
    """

    def __init__(self, templates: list[str], weights: list[float]) -> None:
        self.slots = [_slots(t) for t in templates]
        shares = np.asarray(weights, dtype=float) / float(np.sum(weights))
        self.units: list[int] = []
        for template, slots, share in zip(templates, self.slots, shares):
            per_code = share * TOTAL_UNITS / _capacity(slots)
            if per_code < MIN_UNITS:
                limit = int(share * TOTAL_UNITS / MIN_UNITS)
                raise ValueError(f"pattern {template!r} holds {_capacity(slots):,} codes, too many to keep in order "
                                 f"with its weight (at most {limit:,})")
            self.units.append(int(round(per_code)))
        self.width = max(len(s) for s in self.slots)
        self._nodes: list[_Node] = []
        self._build()
        self.total = int(self._nodes[0].starts[-1] + self._nodes[0].units[-1])
        ends = [int(n.units[n.chars == _END].max()) for n in self._nodes if (n.chars == _END).any()]
        self.widest = max(ends)  # units of the widest code (one several templates make counts them all)

    @property
    def unique_rows(self) -> int:
        """The most rows that can take distinct codes: each slice must be at least as wide as any code."""
        return self.total // self.widest

    def _build(self) -> None:
        tails = []  # tails[k][j]: codes of template k below a prefix of length j
        for slots in self.slots:
            tail = [1] * (len(slots) + 1)
            for j in range(len(slots) - 1, -1, -1):
                tail[j] = tail[j + 1] * len(slots[j])
            tails.append(tail)
        ids: dict[tuple[int, tuple[int, ...]], int] = {}
        pending = [(0, tuple(range(len(self.slots))))]
        ids[pending[0]] = 0
        built: dict[int, _Node] = {}
        while pending:
            depth, alive = pending.pop()
            entries: list[tuple[int, int, int]] = []  # (char, units, next node)
            ended = [k for k in alive if len(self.slots[k]) == depth]
            if ended:
                entries.append((_END, sum(self.units[k] for k in ended), -1))
            going = [k for k in alive if len(self.slots[k]) > depth]
            for ch in sorted({c for k in going for c in self.slots[k][depth]}):
                below = tuple(k for k in going if ch in self.slots[k][depth])
                key = (depth + 1, below)
                if key not in ids:
                    if len(ids) >= MAX_NODES:
                        raise ValueError(f"patterns too varied to keep in order (over {MAX_NODES:,} prefixes)")
                    ids[key] = len(ids)
                    pending.append(key)
                entries.append((ch, sum(self.units[k] * tails[k][depth + 1] for k in below), ids[key]))
            units = [u for _, u, _ in entries]
            starts = np.cumsum([0] + units[:-1], dtype=object)
            if sum(units) >= 2**62:  # pragma: no cover - TOTAL_UNITS and rounding keep the space below this
                raise AssertionError("code space exceeds int64")
            built[ids[(depth, alive)]] = _Node(np.array(starts, dtype=np.int64), np.array(units, dtype=np.int64),
                                               np.array([c for c, _, _ in entries], dtype=np.int64),
                                               np.array([n for _, _, n in entries], dtype=np.int64))
        self._nodes = [built[i] for i in range(len(built))]

    def locate(self, point: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The code at each ``point`` (0 <= point < total): its characters (rows of ``width`` bytes), its length,
        the unit where it starts and its units."""
        point = np.asarray(point, dtype=np.int64)
        n = len(point)
        chars = np.zeros((n, self.width), dtype=np.uint8)
        length = np.zeros(n, dtype=np.int64)
        start = np.zeros(n, dtype=np.int64)
        code_units = np.zeros(n, dtype=np.int64)
        # The rows still walking, compacted: their row, the point left within their node, and the node.
        row, rest, node = np.arange(n), point.copy(), np.zeros(n, dtype=np.int64)
        for depth in range(self.width + 1):
            if not len(row):
                break
            ch, units, below = np.empty_like(rest), np.empty_like(rest), np.empty_like(rest)
            nodes = np.unique(node)
            for nid in nodes:  # one search per node, over all its rows at once
                nd = self._nodes[int(nid)]
                at = slice(None) if len(nodes) == 1 else np.flatnonzero(node == nid)
                entry = np.searchsorted(nd.starts, rest[at], side="right") - 1
                rest[at] -= nd.starts[entry]
                ch[at], units[at], below[at] = nd.chars[entry], nd.units[entry], nd.nexts[entry]
            end = ch == _END
            if end.any():
                done = row[end]
                length[done], code_units[done], start[done] = depth, units[end], point[done] - rest[end]
                going = ~end
                row, rest, ch, below = row[going], rest[going], ch[going], below[going]
            if len(row):
                chars[row, depth] = ch
            node = below
        return chars, length, start, code_units

    def draw(self, rows: np.ndarray, total_rows: int, seed: int, name: str, unique: bool = False) -> pa.Array:
        """The codes of ``rows`` (global row numbers) of a table of ``total_rows``: row ``i`` takes a code from the
        ``i``-th of ``total_rows`` equal slices of the space, at a point drawn from (seed, name, i) alone."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return pa.array([], pa.string())
        # Row i's point: the grid floor(i * total / total_rows) (computed without overflow), shifted by one offset
        # drawn for the whole column, plus the row's own jitter of at most +-jitter. Each point is then uniform
        # over the space (the offset is), so a code is drawn as often as its width says and every template keeps
        # its share; neighbouring points stay at least the widest code apart (unique) or in order (not unique).
        q, r = divmod(self.total, total_rows)
        grid = q * rows + (r * rows) // total_rows
        offset = int((keyed_hash(np.array([total_rows]), seed, name + "/offset")[0] >> np.uint64(11)) * 2.0**-53 * q)
        jitter = max(0, q - self.widest) // 2 if unique else q // 2
        u = (keyed_hash(rows, seed, name) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        shift = np.minimum((u * (2 * jitter + 1)).astype(np.int64), 2 * jitter) - jitter
        point = np.clip(grid + offset + shift, 0, self.total - 1)
        chars, length, _, _ = self.locate(point)
        return _strings(chars, length)


def _strings(chars: np.ndarray, length: np.ndarray) -> pa.Array:
    """Rows of bytes cut to their lengths, as one Arrow string array (no per-row Python)."""
    keep = np.arange(chars.shape[1]) < length[:, None]
    data = np.ascontiguousarray(chars[keep])
    offsets = np.concatenate(([0], np.cumsum(length))).astype(np.int32)
    return pa.StringArray.from_buffers(len(length), pa.py_buffer(offsets), pa.py_buffer(data))
