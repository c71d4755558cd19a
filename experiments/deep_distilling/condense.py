"""Condensing an ENN into a Python function, layer by layer (deep distilling).

Each neuron's weights are decomposed into structured terms (`structure.py`). Neurons of
a layer with the same template (the same kinds of terms with the same coefficients and
bias, differing only in which row, column or position they read) become one loop over
rows, columns or both, writing a named array (`D`, `S1`, ...); identical neurons are
computed once. Threshold neurons become
`if`/`elif` comparisons; the last layer becomes class scores and an argmax. Loop bounds
that span a whole input dimension are written from the input's shape, so the code also
runs on inputs of another size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from nslab.experiments.deep_distilling.enn import ENN, DenseLayer
from nslab.experiments.deep_distilling.structure import Term, decompose

INDENT = "    "
LOOP_NAMES = ("i", "j", "k", "m")
INPUT = "I"
# Which dimension of its source array each slot of a term indexes.
SLOT_DIMS = {"row": (0,), "row_part": (0,), "col": (1,), "col_part": (1,)}
VARIABLE_BASE = {
    "total": "total",
    "row": "row_sum",
    "col": "col_sum",
    "row_part": "part_sum",
    "col_part": "part_sum",
    "part": "part_sum",
}


@dataclass
class ArrayInfo:
    """An array (or scalar) of values the code has computed, and how to write its sizes."""

    name: str
    shape: tuple[int, ...]
    size_names: tuple[str, ...]


@dataclass
class Loop:
    name: str
    start: int
    stop: int
    bound: str  # how the code writes `stop`

    @property
    def size(self) -> str:
        """How the code writes the number of iterations (an output array's dimension)."""
        return self.bound if self.start == 0 else str(self.stop - self.start)


@dataclass
class Group:
    """Neurons sharing one template; `slots` maps each template slot to a loop or constant."""

    name: str
    terms: list[Term]  # the first neuron's terms: the template
    bias: float
    loops: list[Loop] = field(default_factory=list)
    slot_sources: list[str | int] = field(default_factory=list)  # loop name or constant

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(loop.stop - loop.start for loop in self.loops)


def _neuron_terms(
    weights: np.ndarray, arrays: list[ArrayInfo], placement: list[tuple[int, tuple[int, ...]]]
) -> list[Term]:
    grids = [np.zeros(array.shape) for array in arrays]
    for index, (array_index, position) in enumerate(placement):
        grids[array_index][position] = weights[index]
    terms: list[Term] = []
    for array, grid in zip(arrays, grids, strict=True):
        terms.extend(decompose(grid, array.name))
    return sorted(terms, key=lambda t: (t.source, t.kind, t.coef, t.span or (), t.slots))


def _template_key(terms: list[Term], bias: float) -> tuple[object, ...]:
    return (bias, tuple((t.source, t.kind, t.coef, t.span, len(t.slots)) for t in terms))


def _slot_dims(term: Term) -> tuple[int, ...]:
    return SLOT_DIMS.get(term.kind, tuple(range(len(term.slots))))


def _plan_loops(
    group_terms: list[list[Term]], arrays: dict[str, ArrayInfo]
) -> tuple[list[Loop], list[str | int], list[tuple[int, ...]]] | None:
    """Loops that enumerate the group's neurons exactly once each, or None if there are none."""
    slots = np.array([[s for t in terms for s in t.slots] for terms in group_terms], dtype=int)
    if slots.size == 0:
        return None if len(group_terms) > 1 else ([], [], [()])
    template = group_terms[0]
    where = [(t, d) for t in template for d in _slot_dims(t)]
    sources: list[str | int] = []
    loops: list[Loop] = []
    loop_columns: list[np.ndarray] = []
    for column_index in range(slots.shape[1]):
        column = slots[:, column_index]
        if np.all(column == column[0]):
            sources.append(int(column[0]))
            continue
        same = [n for n, seen in enumerate(loop_columns) if np.array_equal(seen, column)]
        if same:
            sources.append(loops[same[0]].name)
            continue
        if len(loops) == len(LOOP_NAMES):
            return None
        values = np.unique(column)
        if values[-1] - values[0] + 1 != len(values):
            return None
        term, dim = where[column_index]
        source = arrays[term.source]
        start, stop = int(values[0]), int(values[-1]) + 1
        full = start == 0 and stop == source.shape[dim]
        bound = source.size_names[dim] if full else str(stop)
        loops.append(Loop(LOOP_NAMES[len(loops)], start, stop, bound))
        loop_columns.append(column)
        sources.append(loops[-1].name)
    positions = [
        tuple(int(column[n]) - loop.start for column, loop in zip(loop_columns, loops, strict=True))
        for n in range(len(group_terms))
    ]
    expected = int(np.prod([loop.stop - loop.start for loop in loops]))
    if len(set(positions)) != len(positions) or len(positions) != expected:
        return None
    return loops, sources, positions


class FunctionWriter:
    """Builds the distilled function one layer at a time."""

    def __init__(self, enn: ENN, function_name: str) -> None:
        if enn.classes != tuple(range(len(enn.classes))):
            raise ValueError("classes must be 0..k-1 for an argmax return")
        self.enn = enn
        size_names = ("n_rows", "n_cols")[: len(enn.input_shape)]
        if len(enn.input_shape) != 2:
            raise ValueError("deep distilling here reads 2-D inputs")
        self.arrays: list[ArrayInfo] = [ArrayInfo(INPUT, enn.input_shape, size_names)]
        n_inputs = int(np.prod(enn.input_shape))
        self.placement: list[tuple[int, tuple[int, ...]]] = [
            (0, tuple(int(v) for v in np.unravel_index(n, enn.input_shape)))
            for n in range(n_inputs)
        ]
        self.lines = [
            "import numpy as np",
            "",
            "",
            f"def {function_name}({INPUT}):",
            f"{INDENT}{', '.join(size_names)} = {INPUT}.shape",
        ]

    def add_layer(self, layer: DenseLayer, is_last: bool) -> None:
        by_name = {array.name: array for array in self.arrays}
        neuron_terms = [
            _neuron_terms(layer.weights[:, n], self.arrays, self.placement)
            for n in range(layer.size)
        ]
        # Identical neurons (e.g. two differentiae that learnt the same plane) are one value.
        representative: dict[tuple[object, ...], int] = {}
        duplicate_of: dict[int, int] = {}
        buckets: dict[tuple[object, ...], list[int]] = {}
        for n, terms in enumerate(neuron_terms):
            if not is_last:
                identity = (float(layer.biases[n]), tuple(terms))
                if identity in representative:
                    duplicate_of[n] = representative[identity]
                    continue
                representative[identity] = n
            key = (n,) if is_last else _template_key(terms, float(layer.biases[n]))
            buckets.setdefault(key, []).append(n)
        groups: list[Group] = []
        placement: list[tuple[int, tuple[int, ...]]] = [(0, ())] * layer.size
        for members in buckets.values():
            plan = _plan_loops([neuron_terms[n] for n in members], by_name)
            parts = [(members, plan)] if plan is not None else [([n], None) for n in members]
            for part_members, part_plan in parts:
                first = part_members[0]
                group = Group("", neuron_terms[first], float(layer.biases[first]))
                if part_plan is None:
                    part_plan = ([], [s for t in group.terms for s in t.slots], [()])
                group.loops, group.slot_sources, positions = part_plan
                for n, position in zip(part_members, positions, strict=True):
                    placement[n] = (len(groups), position)
                groups.append(group)
        for n, original in duplicate_of.items():
            placement[n] = placement[original]
        for index, group in enumerate(groups):
            group.name = layer.name if len(groups) == 1 else f"{layer.name}{index + 1}"
        for group in groups:
            if group.loops or group is groups[0]:
                self.lines.append("")
            self.lines.extend(self._emit_group(group, layer, by_name))
        self.arrays = [
            ArrayInfo(g.name, g.shape, tuple(loop.size for loop in g.loops)) for g in groups
        ]
        self.placement = placement
        if is_last:
            scores = ", ".join(group.name for group in groups)
            self.lines.append(f"{INDENT}return int(np.argmax([{scores}]))")

    def code(self) -> str:
        return "\n".join(self.lines) + "\n"

    # -- emission -----------------------------------------------------------------------

    def _emit_group(
        self, group: Group, layer: DenseLayer, arrays: dict[str, ArrayInfo]
    ) -> list[str]:
        slot_iter = iter(group.slot_sources)
        bound_terms = [(term, [next(slot_iter) for _ in term.slots]) for term in group.terms]
        variables = _Variables(bound_terms, arrays, inline=layer.activation == "linear")
        lines: list[str] = []
        if group.loops:
            sizes = ", ".join(loop.size for loop in group.loops)
            sizes = sizes if len(group.loops) > 1 else f"{sizes},"
            lines.append(f"{INDENT}{group.name} = np.zeros(({sizes}))")
        target = group.name
        if group.loops:
            index = ", ".join(
                loop.name if loop.start == 0 else f"{loop.name} - {loop.start}"
                for loop in group.loops
            )
            target = f"{group.name}[{index}]"
        depth = 1
        lines.extend(variables.definitions(set(), depth))
        for level, loop in enumerate(group.loops):
            start = "" if loop.start == 0 else f"{loop.start}, "
            lines.append(f"{INDENT * depth}for {loop.name} in range({start}{loop.bound}):")
            depth += 1
            bound_loops = {lp.name for lp in group.loops[: level + 1]}
            lines.extend(variables.definitions(bound_loops, depth))
        lines.extend(
            _threshold(
                target,
                variables.linear_parts(),
                group.bias,
                layer.activation,
                depth,
                bool(group.loops),
            )
        )
        return lines


class _Variables:
    """Named intermediate sums of one group, each defined at the shallowest loop depth."""

    def __init__(
        self,
        bound_terms: list[tuple[Term, list[str | int]]],
        arrays: dict[str, ArrayInfo],
        inline: bool,
    ) -> None:
        self.entries: list[tuple[str, str, set[str], float]] = []  # name, expr, loops used, coef
        self.emitted: set[str] = set()
        used_names: dict[str, int] = {}

        def fresh(base: str) -> str:
            used_names[base] = used_names.get(base, 0) + 1
            return base if used_names[base] == 1 else f"{base}_{used_names[base]}"

        totals = {t.source: (t, s) for t, s in bound_terms if t.kind == "total"}
        lines_of = {
            t.source: [(t, s) for t, s in bound_terms if t.kind in ("row", "col")]
            for t, _ in bound_terms
        }
        for term, slots in bound_terms:
            loops = {s for s in slots if isinstance(s, str)}
            index = [str(s) for s in slots]
            source = term.source
            if inline:
                if term.kind == "value":
                    expr = f"{source}[{', '.join(index)}]" if index else source
                else:
                    expr = (
                        f"np.sum({source})"
                        if term.kind == "total"
                        else _sum_expr(term, index, arrays)
                    )
                self.entries.append(("", expr, loops, term.coef))
            elif term.kind == "total":
                partner = lines_of[source]
                if len(partner) == 1:
                    # total + one line = that line plus everything off it ("off-row" sum).
                    line_term, line_slots = partner[0]
                    line_name = fresh(VARIABLE_BASE[line_term.kind])
                    off_name = fresh(
                        "off" + VARIABLE_BASE[line_term.kind].replace("_sum", "") + "_sum"
                    )
                    line_loops = {s for s in line_slots if isinstance(s, str)}
                    self.entries.append(
                        (
                            line_name,
                            _sum_expr(line_term, [str(s) for s in line_slots], arrays),
                            line_loops,
                            term.coef + line_term.coef,
                        )
                    )
                    self.entries.append(
                        (off_name, f"np.sum({source}) - {line_name}", line_loops, term.coef)
                    )
                    continue
                self.entries.append((fresh("total"), f"np.sum({source})", set(), term.coef))
            elif term.kind in ("row", "col") and source in totals and len(lines_of[source]) == 1:
                continue  # written with its total above
            elif term.kind == "value":
                self.entries.append(
                    ("", f"{source}[{', '.join(index)}]" if index else source, loops, term.coef)
                )
            else:
                self.entries.append(
                    (
                        fresh(VARIABLE_BASE[term.kind]),
                        _sum_expr(term, index, arrays),
                        loops,
                        term.coef,
                    )
                )

    def definitions(self, bound: set[str], depth: int) -> list[str]:
        lines = []
        for name, expr, loops, _ in self.entries:
            if name and name not in self.emitted and loops <= bound:
                lines.append(f"{INDENT * depth}{name} = {expr}")
                self.emitted.add(name)
        return lines

    def linear_parts(self) -> list[tuple[float, str]]:
        return [(coef, name or expr) for name, expr, _, coef in self.entries if coef != 0]


def _sum_expr(term: Term, index: list[str], arrays: dict[str, ArrayInfo]) -> str:
    source = term.source
    start, stop = term.span if term.span is not None else (0, 0)
    if term.kind == "row":
        return f"np.sum({source}[{index[0]}, :])"
    if term.kind == "col":
        return f"np.sum({source}[:, {index[0]}])"
    if term.kind == "row_part":
        return f"np.sum({source}[{index[0]}, {_slice(start, stop, arrays[source].shape[1])}])"
    if term.kind == "col_part":
        return f"np.sum({source}[{_slice(start, stop, arrays[source].shape[0])}, {index[0]}])"
    return f"np.sum({source}[{_slice(start, stop, arrays[source].shape[0])}])"


def _slice(start: int, stop: int, size: int) -> str:
    return f"{start or ''}:{'' if stop == size else stop}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _side(parts: list[tuple[float, str]]) -> str:
    """A sum of `coef*name` terms, written the way a person would (`a - b`, not `a + -1*b`)."""
    if not parts:
        return "0"
    text = ""
    for coef, name in parts:
        magnitude = abs(coef)
        piece = name if magnitude == 1 else f"{_number(magnitude)}*{name}"
        if name == "1":
            piece = _number(magnitude)
        if not text:
            text = piece if coef > 0 else f"-{piece}"
        else:
            text += f" + {piece}" if coef > 0 else f" - {piece}"
    return text


def _threshold(
    target: str,
    parts: list[tuple[float, str]],
    bias: float,
    activation: str,
    depth: int,
    in_array: bool,
) -> list[str]:
    pad = INDENT * depth
    if activation == "linear":
        return [f"{pad}{target} = {_side(parts + ([(bias, '1')] if bias else []))}"]
    left = [(c, n) for c, n in parts if c > 0]
    right = [(-c, n) for c, n in parts if c < 0]
    if bias > 0:
        left.append((bias, "1"))
    elif bias < 0:
        right.append((-bias, "1"))
    lhs = _side([(c, n) for c, n in left if n != "1"])
    rhs = _side([(c, n) for c, n in right if n != "1"])
    constant = sum(c for c, n in right if n == "1") - sum(c for c, n in left if n == "1")
    if constant > 0:
        rhs = _number(constant) if rhs == "0" else f"{rhs} + {_number(constant)}"
    elif constant < 0:
        lhs = _number(-constant) if lhs == "0" else f"{lhs} + {_number(-constant)}"
    lines = [] if in_array else [f"{pad}{target} = 0"]
    if not parts:
        value = 1 if bias > 0 else (-1 if activation == "sign" and bias < 0 else 0)
        return [f"{pad}{target} = {value}"]
    lines += [f"{pad}if {lhs} > {rhs}:", f"{pad}{INDENT}{target} = 1"]
    if activation == "sign":
        lines += [f"{pad}elif {lhs} < {rhs}:", f"{pad}{INDENT}{target} = -1"]
    return lines


def condense(enn: ENN, function_name: str) -> Iterator[tuple[int, str]]:
    """Yield (layers done, code so far) after each layer; the last yield is the whole function."""
    writer = FunctionWriter(enn, function_name)
    for index, layer in enumerate(enn.layers):
        writer.add_layer(layer, is_last=index == len(enn.layers) - 1)
        yield index + 1, writer.code()


def compile_function(code: str, function_name: str) -> Callable[[np.ndarray], int]:
    """Execute the emitted module and return its function."""
    namespace: dict[str, Callable[[np.ndarray], int]] = {}
    exec(compile(code, f"<distilled {function_name}>", "exec"), namespace)
    return namespace[function_name]
