"""Small-cell suppression for open data (pure: no FastAPI, no SQLAlchemy).

A table of counts is published with its margins: row totals, column totals and the grand total. Seen as one
"extended" table of (rows + 1) x (columns + 1) entries, the last row and column holding the totals, every row
and every column of it is an equation (its cells add up to its total), and a reader who knows the published
entries can solve those equations for the hidden ones.

1. Primary suppression: every entry (cell or total) from 1 to MIN_COUNT - 1 is hidden. Zero is published:
   "no case" singles no one out, and hiding zeros would hide almost the whole of a sparse table.
2. Complementary suppression: the hidden entries are the edges of a bipartite graph between the lines (rows,
   columns) of the extended table. A hidden entry can be worked out by subtraction exactly when its edge is a
   bridge of that graph (on no cycle); e.g. the only hidden cell of a row is its total minus the others. So
   while a bridge remains, one more published entry is hidden, the smallest non-zero one that closes a cycle
   through it (usually the next smallest cell of the same row or column; a total when nothing else fits).
   Every hidden entry is then at least 1 and on a cycle, so adding and subtracting 1 around the cycle gives
   another table of non-negative counts with the same published entries: no hidden entry is determined.

Tables that share entries (the national table of kab/kota x category, whose row of a kab/kota is the column
totals of that kab/kota's kecamatan x category table) are protected together: `protect_linked` hides the
shared entries in both and repeats until neither asks for more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_COUNT = 5

Entry = tuple[int, int]


def extend(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a total column on the right and a total row at the bottom."""
    width = len(cells[0]) if cells else 0
    rows = [[*row, sum(row)] for row in cells]
    totals = [sum(row[j] for row in rows) for j in range(width + 1)]
    return [*rows, totals]


def _components(edges: set[Entry], skip: Entry) -> dict[tuple[str, int], int]:
    """Connected component of every line node, the edge `skip` left out."""
    adjacent: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in edges:
        if (i, j) == skip:
            continue
        adjacent.setdefault(("r", i), []).append(("c", j))
        adjacent.setdefault(("c", j), []).append(("r", i))
    comp: dict[tuple[str, int], int] = {}
    for start in adjacent:
        if start in comp:
            continue
        comp[start] = len(comp)
        label = comp[start]
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in adjacent[node]:
                if nxt not in comp:
                    comp[nxt] = label
                    stack.append(nxt)
    return comp


def _bridges(edges: set[Entry]) -> list[Entry]:
    """Edges on no cycle (Tarjan's bridge finding, iterative: a national table has hundreds of lines)."""
    adjacent: dict[tuple[str, int], list[tuple[tuple[str, int], Entry]]] = {}
    for i, j in edges:
        adjacent.setdefault(("r", i), []).append((("c", j), (i, j)))
        adjacent.setdefault(("c", j), []).append((("r", i), (i, j)))
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[Entry] = []
    for root in sorted(adjacent):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[tuple[str, int], Entry | None, int]] = [(root, None, 0)]
        while stack:
            node, via, k = stack[-1]
            if k < len(adjacent[node]):
                stack[-1] = (node, via, k + 1)
                nxt, edge = adjacent[node][k]
                if edge == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = len(order)
                    stack.append((nxt, edge, 0))
            else:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
    return sorted(found)


def _closing(ext: Sequence[Sequence[int]], hidden: set[Entry], bridge: Entry) -> Entry | None:
    """The published entry to hide so that `bridge` lies on a cycle: the smallest non-zero one joining the
    two sides the bridge separates (cells before totals, then top-left first); failing that, the smallest
    non-zero one in the bridge's row or column, which extends the chain to be closed next round."""
    last_row, last_col = len(ext) - 1, len(ext[0]) - 1
    comp = _components(hidden, bridge)
    row_node, col_node = ("r", bridge[0]), ("c", bridge[1])

    def side(node: tuple[str, int]) -> str | None:
        if node == row_node:
            return "a"
        if node == col_node:
            return "b"
        label = comp.get(node)
        if label is not None and label == comp.get(row_node):
            return "a"
        if label is not None and label == comp.get(col_node):
            return "b"
        return None

    def rank(e: Entry) -> tuple[int, int, int, int]:
        return (ext[e[0]][e[1]], int(e[0] == last_row or e[1] == last_col), e[0], e[1])

    def free(e: Entry) -> bool:
        return e not in hidden and ext[e[0]][e[1]] > 0

    joining = [
        (i, j)
        for i in range(last_row + 1)
        for j in range(last_col + 1)
        if free((i, j)) and {side(("r", i)), side(("c", j))} == {"a", "b"}
    ]
    if joining:
        return min(joining, key=rank)
    line = [(bridge[0], j) for j in range(last_col + 1)] + [(i, bridge[1]) for i in range(last_row + 1)]
    near = [e for e in line if free(e)]
    return min(near, key=rank) if near else None


def protect(
    cells: Sequence[Sequence[int]], forced: set[Entry] | frozenset[Entry] = frozenset()
) -> set[Entry]:
    """The entries of the extended table to hide: primary ones, `forced` ones (shared with another table),
    and complementary ones until none can be worked out from the others."""
    ext = extend(cells)
    hidden = {
        (i, j) for i, row in enumerate(ext) for j, value in enumerate(row) if 0 < value < MIN_COUNT
    } | set(forced)
    while bridges := _bridges(hidden):
        # One bridge at a time: hiding one entry often puts several bridges on a cycle at once.
        added = _closing(ext, hidden, bridges[0])
        if added is None:
            # Nothing non-zero is left to hide (cannot happen: a line with a hidden count >= 1 has a
            # non-zero total); hide the bridge's whole row rather than publish a recoverable entry.
            i = bridges[0][0]
            hidden |= {(i, j) for j in range(len(ext[0]))}
            continue
        hidden.add(added)
    return hidden


@dataclass(frozen=True)
class Linked:
    """The national table's hidden entries and each kab/kota table's, in extended coordinates."""

    national: set[Entry]
    local: dict[int, set[Entry]]


def protect_linked(national: Sequence[Sequence[int]], local: Mapping[int, Sequence[Sequence[int]]]) -> Linked:
    """`national[k]` is row k (a kab/kota) by column (category); `local[k]` is that kab/kota's table of rows
    (kecamatan) by the same columns, whose column totals are `national[k]`. Shared entries end up hidden in
    both, and each table is protected with the other's choices forced on it."""
    width = len(national[0]) if national else 0
    forced_national: set[Entry] = set()
    while True:
        hidden_national = protect(national, forced_national)
        hidden_local: dict[int, set[Entry]] = {}
        asked: set[Entry] = set()
        for k, table in local.items():
            bottom = len(table)
            forced = {(bottom, j) for (i, j) in hidden_national if i == k}
            hidden = protect(table, forced)
            hidden_local[k] = hidden
            asked |= {(k, j) for (i, j) in hidden if i == bottom and j <= width} - hidden_national
        if not asked:
            return Linked(hidden_national, hidden_local)
        forced_national |= asked | hidden_national
