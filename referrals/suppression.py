"""Small-cell suppression of linked two-way tables (k-anonymity of published counts).

Every count from 1 to k-1 is withheld (primary suppression), and further cells are withheld
(complementary suppression) until no withheld count can be worked out from the published
cells and totals. A table with its row and column totals is a bipartite graph whose edges are
the withheld cells: a withheld count can be derived exactly when its edge lies on no cycle
(a bridge), so cells are added until no withheld edge is a bridge. Row totals shared by
several tables (cases per year) are withheld alike in all of them; a final exact check over
all tables together (rank of the linear system) confirms it, withholding more if ever needed.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

TOTAL = "total"
PRIME = (1 << 61) - 1  # Ranks over this field equal the rational ranks of 0/±1 systems here.


@dataclass
class Table:
    """A two-way table of counts: rows by ``rows``, columns by ``columns``, with totals.

    ``margin`` names what the row totals count: tables with the same margin share their row
    totals and grand total (the same published numbers), so those cells are one each.
    """

    name: str
    margin: str
    rows: list
    columns: list
    counts: dict = field(default_factory=dict)  # (row, column) -> count, totals included
    # Columns that count the same cases as a column of another table: one cell each.
    same_as: dict = field(default_factory=dict)  # column -> (table name, column)

    def key(self, row, column) -> Hashable:
        if column == TOTAL:
            return (self.margin, row, TOTAL)
        name, column = self.same_as.get(column, (self.name, column))
        return (name, row, column)

    def cells(self) -> Iterable[tuple]:
        for row in [*self.rows, TOTAL]:
            for column in [*self.columns, TOTAL]:
                yield row, column


def with_totals(
    name: str, margin: str, rows: list, columns: list, counts: dict, same_as=None
) -> Table:
    """A table from inner counts, its row, column and grand totals added."""
    full = {(r, c): counts.get((r, c), 0) for r in rows for c in columns}
    for r in rows:
        full[(r, TOTAL)] = sum(full[(r, c)] for c in columns)
    for c in [*columns, TOTAL]:
        full[(TOTAL, c)] = sum(full[(r, c)] for r in rows)
    return Table(
        name=name, margin=margin, rows=rows, columns=columns, counts=full, same_as=same_as or {}
    )


def _bridges(edges: list[tuple]) -> list[tuple]:
    """The edges (row node, column node) that lie on no cycle (Tarjan, iterative)."""
    adjacency: dict = {}
    for index, (a, b) in enumerate(edges):
        adjacency.setdefault(("r", a), []).append((("c", b), index))
        adjacency.setdefault(("c", b), []).append((("r", a), index))
    order, low, found, counter = {}, {}, [], 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for neighbour, index in neighbours:
                if index == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, index, iter(adjacency[neighbour])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(edges[via])
    return found


def _side(edges: list[tuple], start) -> set:
    """Nodes reachable from ``start`` over ``edges`` (as ("r", row) / ("c", column))."""
    adjacency: dict = {}
    for a, b in edges:
        adjacency.setdefault(("r", a), set()).add(("c", b))
        adjacency.setdefault(("c", b), set()).add(("r", a))
    seen, todo = {start}, [start]
    while todo:
        for neighbour in adjacency.get(todo.pop(), ()):
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return seen


class _Suppressor:
    def __init__(self, tables: list[Table], k: int):
        self.tables, self.k = tables, k
        self.withheld: set = set()
        for table in tables:
            for row, column in table.cells():
                if 0 < table.counts[(row, column)] < k:
                    self.withheld.add(table.key(row, column))

    def cost(self, table: Table, cell: tuple) -> float:
        if table.key(*cell) in self.withheld:
            return 0
        value = table.counts[cell]
        shared = cell[1] == TOTAL  # withheld in every table of the same margin
        # Zeros protect little against bounds (counts are never negative): used last.
        return (value if value else 10 * self.k) * (10 if shared else 1)

    def _edges(self, table: Table) -> list[tuple]:
        return [cell for cell in table.cells() if table.key(*cell) in self.withheld]

    def _protect(self, table: Table, bridge: tuple) -> None:
        """Withhold the cheapest cells that put ``bridge`` on a cycle."""
        row, column = bridge
        rest = [edge for edge in self._edges(table) if edge != bridge]
        a_side, b_side = _side(rest, ("r", row)), _side(rest, ("c", column))
        rows, columns = [*table.rows, TOTAL], [*table.columns, TOTAL]
        options = []
        for r in rows:
            for c in columns:
                if (r, c) == bridge:
                    continue
                ends = {("r", r), ("c", c)}
                if ends & a_side and ends & b_side:
                    options.append([(r, c)])
                elif r != row and c != column:
                    options.append([(row, c), (r, c), (r, column)])
        best = min(options, key=lambda cells: sum(self.cost(table, cell) for cell in cells))
        self.withheld.update(table.key(*cell) for cell in best)

    def run(self) -> set:
        changed = True
        while changed:
            changed = False
            for table in self.tables:
                for bridge in _bridges(self._edges(table)):
                    if bridge in _bridges(self._edges(table)):
                        self._protect(table, bridge)
                        changed = True
        # Tables linked by shared totals could in theory pin a count none pins alone: then
        # every table holding such a count is withheld but for its grand total.
        while found := derivable(self.tables, self.withheld):
            linked = [t for t in self.tables if any(t.key(*cell) in found for cell in t.cells())]
            before = len(self.withheld)
            for table in linked:
                self.withheld.update(
                    table.key(*cell) for cell in table.cells() if cell != (TOTAL, TOTAL)
                )
            if len(self.withheld) == before:
                self.withheld.update(table.key(TOTAL, TOTAL) for table in linked)
        return self.withheld


def suppress(tables: list[Table], k: int) -> set:
    """The keys (``Table.key``) of the cells to withhold: none below ``k``, none derivable."""
    return _Suppressor(tables, k).run()


def _equations(tables: list[Table], unknowns: dict) -> list[dict]:
    """Each row and column of each table sums to its total: coefficients on withheld cells."""
    equations = []
    for table in tables:
        lines = [[(r, c) for c in table.columns] + [(r, TOTAL)] for r in [*table.rows, TOTAL]]
        lines += [[(r, c) for r in table.rows] + [(TOTAL, c)] for c in [*table.columns, TOTAL]]
        for line in lines:
            equation: dict = {}
            for position, cell in enumerate(line):
                index = unknowns.get(table.key(*cell))
                if index is not None:
                    sign = -1 if position == len(line) - 1 else 1
                    equation[index] = (equation.get(index, 0) + sign) % PRIME
            equation = {index: value for index, value in equation.items() if value}
            if equation:
                equations.append(equation)
    return equations


def derivable(tables: list[Table], withheld: set) -> set:
    """The withheld keys whose count follows exactly from the published ones (linear algebra
    over every table at once: an unknown is determined when its unit vector is in the row
    space of the system)."""
    keys = sorted({key for key in withheld}, key=repr)
    unknowns = {key: index for index, key in enumerate(keys)}
    pivots: dict[int, dict] = {}  # pivot column -> reduced row
    for equation in _equations(tables, unknowns):
        row = dict(equation)
        for column, pivot_row in pivots.items():
            factor = row.get(column)
            if factor:
                for index, value in pivot_row.items():
                    row[index] = (row.get(index, 0) - factor * value) % PRIME
                row = {index: value for index, value in row.items() if value}
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], PRIME - 2, PRIME)
        row = {index: value * inverse % PRIME for index, value in row.items()}
        for other in pivots.values():
            factor = other.get(column)
            if factor:
                for index, value in row.items():
                    other[index] = (other.get(index, 0) - factor * value) % PRIME
                for index in [index for index, value in other.items() if not value]:
                    del other[index]
        pivots[column] = row
    return {keys[column] for column, row in pivots.items() if len(row) == 1}
