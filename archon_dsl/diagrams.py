"""Diagrams of an architecture: Graphviz DOT (rendered to SVG or PNG) and Mermaid."""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .architecture import Architecture, Layer, ModelSpec
from .diagnostics import ArchonError, Diagnostic, Severity
from .kinds import kind_spec, kind_specs

if TYPE_CHECKING:
    from .template import Template

FORMATS = ("svg", "png", "dot", "mermaid")
# Output formats that need a Graphviz binary (dot, or the graphviz-pure wheel's).
BINARY_FORMATS = ("svg", "png")
# Where a file extension says which format to write.
EXTENSION_FORMATS = {
    ".svg": "svg",
    ".png": "png",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".md": "mermaid",
}
# A layer with more models than this is drawn as a grid of rows, so a wide
# pool makes a block, not a 20-inch band; a big pool gets about sqrt(2n)
# columns, a block about as wide as it is tall (a model is wider than high).
MAX_COLUMNS = 5
FONT = "Helvetica"
# Sharp enough for print: a PNG is drawn at this many pixels per inch.
DEFAULT_DPI = 200
MIN_DPI, MAX_DPI = 36, 1200
# How long a model's headline and detail line may get before losing their middle.
HEAD_LIMIT = 22
DETAIL_LIMIT = 28
# ASCII throughout: graphviz-pure measures no other characters, and would misjudge label widths.
ELLIPSIS = "..."


def _mix(colour: str, other: str, share: float) -> str:
    """`colour` moved `share` of the way towards `other` (both #RRGGBB)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02X}" for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class KindStyle:
    """How a component kind is drawn: a hue (node fill), its shape and Mermaid brackets."""

    shape: str
    hue: str
    mermaid: tuple[str, str]  # Mermaid node brackets, open and close

    @property
    def fill(self) -> str:
        return _mix(self.hue, "#FFFFFF", 0.15)

    @property
    def border(self) -> str:
        return _mix(self.hue, "#000000", 0.45)

    @property
    def cluster_fill(self) -> str:
        return _mix(self.hue, "#FFFFFF", 0.82)


# Paul Tol's "light" scheme, made for filled areas under black text: of its
# nine hues, the seven that stay furthest apart (CIE76 distance at least 14,
# with normal vision and simulated protanopia, deuteranopia and tritanopia;
# tests/test_diagrams.py checks it). One hue per kind, and the shapes differ
# too, so the kinds stay apart in greyscale print. Each kind's shape and hue are in kinds.py.
class _KindStyles(Mapping[str, KindStyle]):
    """Kind -> KindStyle, read from the kind registry (so a kind registered later is drawn too)."""

    def __getitem__(self, kind: str) -> KindStyle:
        spec = kind_spec(kind)
        return KindStyle(spec.shape, spec.hue, spec.mermaid)

    def __iter__(self) -> Iterator[str]:
        return iter([spec.name for spec in kind_specs()])

    def __len__(self) -> int:
        return len(kind_specs())


KIND_STYLES: Mapping[str, KindStyle] = _KindStyles()
SLANTED = frozenset({"hexagon", "octagon"})
EDGE_STYLES = {
    "candidates": ('style=solid, penwidth=1.4, color="#333333"', "-->"),
    "critiques": ('style=dashed, penwidth=1.2, color="#B5532F"', "-.->"),
    "tests": ('style=dotted, penwidth=1.8, color="#8A7A2E"', "-.->"),
    "query": ('style=solid, color="#9A9A9A"', "-->"),
}
GREY = "#555555"
INK = "#262626"  # small text on a node's fill, dark enough to read on every hue


# ---------------------------------------------------------------------------
# What the diagram shows: one node per distinct model of a layer, with its samples
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelNode:
    """One model of a layer as drawn."""

    id: str
    model: ModelSpec
    samples: int  # calls of this model in its layer (repeats of one model are merged)


def _model_nodes(index: int, layer: Layer) -> list[ModelNode]:
    """A layer's models, a run of the same model merged into one node with its samples added up."""
    nodes: list[ModelNode] = []
    per_model = layer.samples if kind_spec(layer.kind).call_key == "sample" else 1
    for model in layer.models:
        if nodes and nodes[-1].model == model:
            last = nodes[-1]
            nodes[-1] = ModelNode(last.id, model, last.samples + per_model)
        else:
            nodes.append(ModelNode(f"L{index}_m{len(nodes)}", model, per_model))
    return nodes


def _split_id(model: ModelSpec) -> tuple[str, str]:
    """A model's headline and its detail line, both shortened.

    A declared name (the alias) heads, over the model's own name without its
    provider and organisation ("Qwen1.5-110B-Chat"); an inline id heads with
    that model name, over its provider.
    """
    provider, _, rest = model.id.partition("/")
    tail = rest.rpartition("/")[2] if rest else model.id
    if model.name != model.id:
        # An alias that only repeats the model's name ("s1" for "sim/s1") needs no detail line.
        detail = provider if tail == model.name else _shorten(tail, DETAIL_LIMIT)
        return _shorten(model.name, HEAD_LIMIT), detail
    return _shorten(tail, HEAD_LIMIT), (provider if rest else "")


def _tokens(text: str) -> list[str]:
    """`text` cut after each separator (- _ / : space; not the dot of a version like 3.1), so the pieces join back into it."""
    pieces, start = [], 0
    for i, char in enumerate(text):
        if char in "-_/: ":
            pieces.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _shorten(text: str, limit: int = DETAIL_LIMIT) -> str:
    """`text` within about `limit` characters by dropping whole tokens from its middle (never cutting one).

    Both ends stay: the family at the front, the size or variant at the back
    ("Meta-Llama-...Instruct-Turbo"). A single token too long is kept whole.
    """
    if len(text) <= limit:
        return text
    tokens = _tokens(text)
    head, tail = [tokens[0]], [tokens[-1]] if len(tokens) > 1 else []
    used = len(tokens[0]) + (len(tail[0]) if tail else 0) + len(ELLIPSIS)
    left, right = 1, len(tokens) - 2
    while left <= right:
        # Take from the end (where sizes and variants are) first, then the front.
        take_right = len(tail) <= len(head)
        piece = tokens[right] if take_right else tokens[left]
        if used + len(piece) > limit:
            break
        used += len(piece)
        if take_right:
            tail.insert(0, piece)
            right -= 1
        else:
            head.append(piece)
            left += 1
    if left > right:
        return text
    return "".join(head) + ELLIPSIS + "".join(tail)


def _model_options(model: ModelSpec) -> list[str]:
    parts = []
    if model.temperature is not None:
        parts.append(f"T={_number(model.temperature)}")
    if model.max_tokens is not None:
        parts.append(f"max {model.max_tokens} tok")
    if model.api_base is not None:
        parts.append("own endpoint")
    return parts


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _keeps(top_k: int | None, n_in: int) -> str:
    """What a filter keeps of `n_in` candidates: it can never keep more than it is given."""
    if top_k is None or top_k >= n_in:
        return f"keeps all {n_in}"
    return f"keeps top {top_k} of {n_in}"


def _layer_summary(layer: Layer, n_in: int, n_out: int) -> str:
    """What a layer does to the candidates, in a few words (for its cluster label)."""
    kind = layer.kind
    if kind == "generator":
        text = f"{_plural(n_out, 'candidate')}"
    elif kind == "fuser":
        text = f"fuses {n_in} into {n_out}"
    elif kind == "critic":
        text = f"critiques {n_in}"
    elif kind == "ranker":
        text = f"ranks {n_in}, {_keeps(layer.top_k, n_in)}" if layer.top_k is not None else f"ranks {n_in}"
    elif kind == "verifier":
        text = f"checks {n_in}"
    elif kind == "unit_test_generator":
        text = f"writes {_plural(layer.count or 5, 'test')}"
    elif kind != "unit_test_evaluator":  # a registered kind: what it is, and the candidates in and out
        text = f"{kind_spec(kind).summary}, {n_in} -> {n_out}"
    else:
        keep = f", {_keeps(layer.top_k, n_in)}" if layer.top_k is not None else ""
        text = f"tests {n_in}{keep}" + (" (executes)" if layer.mode == "execute" else "")
    options = []
    if layer.temperature is not None:
        options.append(f"T={_number(layer.temperature)}")
    if layer.max_tokens is not None:
        options.append(f"max {layer.max_tokens} tok")
    if layer.prompt is not None or layer.system is not None:
        options.append("custom prompt")
    return ", ".join([text] + options)


# Layers that leave the candidates as they are (a critic annotates them, a
# unit-test generator writes tests beside them) are kinds.KindSpec.pass_through.


def _flow_edges(arch: Architecture) -> list[tuple[Any, Any, str]]:
    """The data-flow edges worth drawing, from the layer graph (`Architecture.graph`).

    Every layer reads the query; only layers that read nothing else get a
    drawn edge from it. Candidates are drawn passing through the layers that
    do not change them (critics, unit-test generators), so the picture reads
    as a pipeline, with critiques and tests as extra edges to the layers that
    consume them.
    """
    graph = arch.graph()
    end = len(arch.layers)
    position = {"query": -1, "answer": end}
    edges: dict[tuple[Any, Any, str], None] = {}
    for tail, head, data in graph.edges(data="data"):
        if data == "query":
            if any(d != "query" for _, _, d in graph.in_edges(head, data="data")):
                continue
            edges[(tail, head, data)] = None
        elif data == "candidates" and isinstance(tail, int):
            stop = position.get(head, head)
            chain = (
                [tail]
                + [k for k in range(tail + 1, stop) if kind_spec(arch.layers[k].kind).pass_through]
                + [head]
            )
            for a, b in itertools.pairwise(chain):
                edges[(a, b, data)] = None
        else:
            edges[(tail, head, data)] = None
    order = {"query": 0, "candidates": 1, "critiques": 2, "tests": 3}
    return sorted(edges, key=lambda e: (position.get(e[0], e[0]), position.get(e[1], e[1]), order[e[2]]))


# ---------------------------------------------------------------------------
# DOT
# ---------------------------------------------------------------------------


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _node_label(node: ModelNode) -> str:
    head, detail = _split_id(node.model)
    lines = [f'<font point-size="13"><b>{_html(head)}</b></font>']
    small = [detail] if detail else []
    if node.samples > 1:
        small.append(f"x{node.samples}")
    small += _model_options(node.model)
    if small:
        lines.append(f'<font point-size="9" color="{INK}">{_html("  ".join(small))}</font>')
    return "<" + "<br/>".join(lines) + ">"


def _grid(nodes: list[ModelNode]) -> list[list[ModelNode]]:
    """Rows of MAX_COLUMNS nodes or, for a big pool, about sqrt(2n), as even as they can be."""
    if len(nodes) <= MAX_COLUMNS:
        return [nodes]
    rows = math.ceil(len(nodes) / max(MAX_COLUMNS, math.ceil(math.sqrt(2 * len(nodes)))))
    columns = math.ceil(len(nodes) / rows)
    return [nodes[i : i + columns] for i in range(0, len(nodes), columns)]


def _caption(arch: Architecture, template: Template | None) -> str:
    """The graph label, drawn on top: the title, its figures and the parameters (for a template)."""
    calls = arch.calls_per_query()
    figures = f"{_plural(len(arch.layers), 'layer')}, up to {_plural(calls, 'LLM call')} per query"
    rows = [
        f'<tr><td><font point-size="18"><b>{_html(arch.name)}</b></font></td></tr>',
        f'<tr><td><font point-size="11" color="{GREY}">{_html(figures)}</font></td></tr>',
    ]
    if template is not None and template.params:
        from .template import format_value

        settings = []
        for name, param in template.params.items():
            value = arch.assignment.get(name, param.default)
            mark = "" if _same_value(value, param.default) else f" (default {format_value(param.default)})"
            settings.append(f"{name} = {format_value(value)}{mark}")
        # A few settings to a line, so a long template widens the title, not the figure's height.
        per_line = 4
        for i in range(0, len(settings), per_line):
            line = "    ".join(settings[i : i + per_line])
            rows.append(f'<tr><td><font face="Courier" point-size="10">{_html(line)}</font></td></tr>')
    return '<<table border="0" cellspacing="2" cellpadding="0">' + "".join(rows) + "</table>>"


def _legend(kinds: list[str], edge_kinds: set[str]) -> str | None:
    """One line: a swatch per kind drawn, then the line styles when more than candidates flow.

    A node of its own under the title, not a row of the title's table: a
    table row narrower than the title would stretch its swatches to fit.
    """
    cells = []
    for kind in kinds:
        style = KIND_STYLES[kind]
        cells.append(
            f'<td bgcolor="{style.fill}" color="{style.border}" border="1" cellpadding="3">'
            f'<font point-size="10">{kind.replace("_", " ")}</font></td>'
        )
    lines = []
    if edge_kinds & {"critiques", "tests"}:
        lines = ["solid: candidates"]
        lines += ["dashed: critiques"] if "critiques" in edge_kinds else []
        lines += ["dotted: unit tests"] if "tests" in edge_kinds else []
    cells += [
        f'<td cellpadding="3"><font point-size="10" color="{GREY}">{_html(line)}</font></td>'
        for line in lines
    ]
    if not cells:
        return None
    return '<<table border="0" cellspacing="4" cellpadding="0"><tr>' + "".join(cells) + "</tr></table>>"


def _same_value(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


def to_dot(arch: Architecture, template: Template | None = None) -> str:
    """The architecture as Graphviz DOT text: the title on top, layers top to bottom as clusters, a node per model.

    Top to bottom keeps a deep pipeline near the page's proportions; a wide
    pool wraps into rows of at most MAX_COLUMNS models.
    """
    flow = arch.candidate_flow()
    inflow = [0] + flow[:-1]
    layer_nodes = [_model_nodes(i, layer) for i, layer in enumerate(arch.layers)]
    edges = _flow_edges(arch)
    kinds = list(dict.fromkeys(layer.kind for layer in arch.layers))

    out = [
        "digraph archon {",
        f'  graph [rankdir=TB, compound=true, newrank=true, fontname="{FONT}", fontsize=12, '
        f"nodesep=0.18, ranksep=0.38, pad=0.2, labelloc=t, labeljust=c,",
        f"         label={_caption(arch, template)}];",
        f'  node [fontname="{FONT}", fontsize=12, style="filled", penwidth=1.2, margin="0.10,0.05"];',
        f'  edge [fontname="{FONT}", fontsize=11, arrowsize=0.8];',
        '  query [label="query", shape=oval, fillcolor="#EEEEEE", color="#9A9A9A", group=spine];',
    ]
    legend = _legend(kinds, {e[2] for e in edges})
    if legend is not None:
        # The key under the title, over the query where the pipeline starts.
        out.append(f'  legend [label={legend}, shape=plaintext, style="", margin=0, group=spine];')
        out.append("  legend -> query [style=invis];")
    # Where an edge enters and leaves a layer: a node in its first and last row.
    enter: dict[Any, str] = {"answer": "answer"}
    leave: dict[Any, str] = {"query": "query"}
    for i, (layer, nodes) in enumerate(zip(arch.layers, layer_nodes, strict=True)):
        style = KIND_STYLES[layer.kind]
        summary = _layer_summary(layer, inflow[i], flow[i])
        label = (
            f'<<font point-size="13"><b>{i + 1}. {layer.kind.replace("_", " ")}</b></font><br align="left"/>'
            f'<font point-size="10" color="{GREY}">{_html(summary)}</font><br align="left"/>>'
        )
        out.append(f"  subgraph cluster_L{i} {{")
        out.append(
            f'    graph [label="", style="rounded,filled", '
            f'fillcolor="{style.cluster_fill}", color="{style.border}", penwidth=1.2, margin=6];'
        )
        # The layer's name and what it does stand left of its first row, so a
        # band is one model high and a deep pipeline stays compact.
        out.append(f'    L{i}_name [label={label}, shape=plaintext, style="", margin="0,0"];')
        rows = _grid(nodes)
        enter[i] = rows[0][len(rows[0]) // 2].id
        leave[i] = rows[-1][len(rows[-1]) // 2].id
        rounded = ', style="rounded,filled"' if layer.kind == "generator" else ""
        # Slanted sides already leave room round the label: no margin, or a long id makes a wide node.
        rounded += ', margin="0.01,0.05"' if style.shape in SLANTED else ""
        # A cds's point takes room from the label's right: a margin there keeps the text inside.
        rounded += ', margin="0.22,0.05"' if style.shape == "cds" else ""
        for node in nodes:
            # The nodes the candidates enter and leave by share a group, which
            # Graphviz draws as one straight spine from query to answer.
            spine = ", group=spine" if node.id in (enter[i], leave[i]) else ""
            out.append(
                f"    {node.id} [label={_node_label(node)}, shape={style.shape}, "
                f'fillcolor="{style.fill}", color="{style.border}"{rounded}{spine}];'
            )
        # A row shares one rank, so a layer's models stand side by side even
        # when only one of them carries the layer's edges; invisible edges
        # inside the row keep the models in the order written.
        for r, row in enumerate(rows):
            ids = ([f"L{i}_name"] if r == 0 else []) + [n.id for n in row]
            if len(ids) > 1:
                out.append(f"    {{rank=same; {' -> '.join(ids)} [style=invis]}}")
        # Invisible links from one row to the next stack a big layer as a grid.
        for upper, lower in itertools.pairwise(rows):
            for a, b in zip(upper, lower, strict=False):  # a grid's last row may be short
                out.append(f"    {a.id} -> {b.id} [style=invis];")
        out.append("  }")
    out.append('  answer [label="answer", shape=oval, fillcolor="#EEEEEE", color="#9A9A9A", group=spine];')
    for tail, head, data in edges:
        attrs = [EDGE_STYLES[data][0]]
        if isinstance(tail, int):
            attrs.append(f"ltail=cluster_L{tail}")
        if isinstance(head, int):
            attrs.append(f"lhead=cluster_L{head}")
        # Only candidate edges carry a label (their count); critiques and tests
        # are told apart by line style and the legend, so labels never pile up.
        if data == "candidates":
            attrs.append(f'label=" {flow[tail]}"')
        elif data in ("critiques", "tests"):
            # Critiques and tests leave and enter on the right, clear of the candidates' edge and its count.
            attrs.append("tailport=e, headport=e")
        # Skip edges (critic to fuser past a ranker) must not pull layers out of order.
        if isinstance(tail, int) and isinstance(head, int) and head - tail > 1:
            attrs.append("constraint=false")
        out.append(f"  {leave[tail]} -> {enter[head]} [{', '.join(attrs)}];")
    if not arch.layers:
        out.append("  query -> answer;")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Mermaid
# ---------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label, where HTML is live: specials become Mermaid's entity codes."""
    return "".join(
        {"&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;", "#": "#35;"}.get(c, c) for c in text
    )


def to_mermaid(arch: Architecture, template: Template | None = None) -> str:
    """The architecture as a Mermaid flowchart (renders in GitHub and GitLab Markdown)."""
    flow = arch.candidate_flow()
    inflow = [0] + flow[:-1]
    out = ["flowchart TB"]
    title = arch.name
    if template is not None and template.params:
        from .template import format_value

        title += (
            " ("
            + ", ".join(
                f"{n}={format_value(arch.assignment.get(n, p.default))}" for n, p in template.params.items()
            )
            + ")"
        )
    out.append(f"  %% {title}".replace("\n", " "))
    out.append('  query(["query"])')
    members: dict[str, list[str]] = {}
    for i, layer in enumerate(arch.layers):
        style = KIND_STYLES[layer.kind]
        summary = _layer_summary(layer, inflow[i], flow[i])
        out.append(f'  subgraph L{i}["{i + 1}. {layer.kind.replace("_", " ")}: {_mermaid_text(summary)}"]')
        for node in _model_nodes(i, layer):
            head, detail = _split_id(node.model)
            extra = ([detail] if detail else []) + ([f"x{node.samples}"] if node.samples > 1 else [])
            text = _mermaid_text(head) + (
                f"<br/><small>{_mermaid_text('  '.join(extra))}</small>" if extra else ""
            )
            open_, close = style.mermaid
            out.append(f'    {node.id}{open_}"{text}"{close}')
            members.setdefault(layer.kind, []).append(node.id)
        out.append("  end")
    out.append('  answer(["answer"])')
    for tail, head, data in _flow_edges(arch):
        a = f"L{tail}" if isinstance(tail, int) else tail
        b = f"L{head}" if isinstance(head, int) else head
        arrow = EDGE_STYLES[data][1]
        if data == "candidates":
            out.append(f'  {a} {arrow}|"{flow[tail]}"| {b}')
        elif data in ("critiques", "tests"):
            out.append(f"  {a} {arrow}|{data}| {b}")
        else:
            out.append(f"  {a} {arrow} {b}")
    if not arch.layers:
        out.append("  query --> answer")
    for kind, ids in members.items():
        style = KIND_STYLES[kind]
        out.append(f"  classDef {kind} fill:{style.fill},stroke:{style.border},color:#222")
        out.append(f"  class {','.join(ids)} {kind}")
    for i, layer in enumerate(arch.layers):
        style = KIND_STYLES[layer.kind]
        out.append(f"  style L{i} fill:{style.cluster_fill},stroke:{style.border}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Running Graphviz: `dot` if installed, else the graphviz-pure wheel's binary
# ---------------------------------------------------------------------------


class RenderError(ArchonError):
    """A diagram that could not be drawn (no Graphviz binary, or Graphviz failed)."""


def _error(message: str, hint: str | None = None) -> RenderError:
    return RenderError([Diagnostic("R001", "render-failed", Severity.ERROR, message, None, None, hint)])


def graphviz_binary() -> str | None:
    """The Graphviz program to run: $ARCHON_GRAPHVIZ, `dot` on PATH, or graphviz-pure's (from its wheel)."""
    chosen = os.environ.get("ARCHON_GRAPHVIZ")
    if chosen:
        return chosen
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    # Not on PATH when the venv is not activated: look beside this interpreter
    # and where the wheel put its script.
    import sysconfig

    exe = "graphviz-pure.exe" if sys.platform == "win32" else "graphviz-pure"
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        for file in distribution("graphviz-pure").files or []:
            if file.name == exe:
                path = Path(file.locate()).resolve()
                if path.is_file():
                    return str(path)
    except PackageNotFoundError:
        pass
    return None


def use_graphviz_binary() -> str:
    """Point the `graphviz` package at the binary this module uses (graphviz-pure when there is no `dot`)."""
    binary = graphviz_binary()
    if binary is None:
        raise _missing_binary()
    if Path(binary).name not in ("dot", "dot.exe"):
        import graphviz.backend.dot_command as dot_command

        dot_command.DOT_BINARY = Path(binary)
    return binary


def _missing_binary() -> RenderError:
    return _error(
        "SVG and PNG need a Graphviz program, and neither `dot` nor `graphviz-pure` was found",
        "`pip install graphviz-pure` (a self-contained dot, no system packages), or install Graphviz "
        "(apt install graphviz, brew install graphviz); `--format dot` and `--format mermaid` need neither",
    )


def check_dpi(dpi: int | None) -> int:
    """The pixels per inch to draw a PNG at: `dpi`, or the sharp default; anything absurd is a RenderError."""
    if dpi is None:
        return DEFAULT_DPI
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise _error(
            f"dpi must be a whole number from {MIN_DPI} to {MAX_DPI}, not {dpi!r}",
            f"{DEFAULT_DPI} (the default) prints sharp; 300 for a print-ready figure",
        )
    return dpi


def dot_to(dot: str, fmt: str, dpi: int | None = None) -> bytes:
    """Lay out DOT text and return it as `fmt` (svg or png; a PNG at `dpi` pixels per inch, default DEFAULT_DPI).

    An SVG is drawn at its natural size (points): it scales without loss.
    """
    if fmt not in BINARY_FORMATS:
        raise _error(
            f"Graphviz output format '{fmt}' is not supported", f"formats: {', '.join(BINARY_FORMATS)}"
        )
    resolution = [f"-Gdpi={check_dpi(dpi)}"] if fmt == "png" else []
    binary = graphviz_binary()
    if binary is None:
        raise _missing_binary()
    try:
        done = subprocess.run(
            [binary, "-Kdot", f"-T{fmt}", *resolution],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=120,
        )
    except OSError as e:
        raise _error(
            f"cannot run {binary}: {e.strerror or e}",
            "check the ARCHON_GRAPHVIZ variable or reinstall graphviz-pure",
        ) from None
    except subprocess.TimeoutExpired:
        raise _error(f"{binary} took over 120 s to lay out the diagram") from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _error(f"{Path(binary).name} failed: {detail[-1] if detail else f'exit {done.returncode}'}")
    return done.stdout


def render_svg(arch: Architecture, template: Template | None = None) -> str:
    """The architecture's diagram as SVG text (Jupyter shows it through Architecture._repr_mimebundle_)."""
    return dot_to(to_dot(arch, template), "svg").decode("utf-8")


def render(
    target: Architecture | Template,
    fmt: str = "svg",
    template: Template | None = None,
    assignment: dict[str, Any] | None = None,
    dpi: int | None = None,
) -> bytes:
    """A diagram of an architecture (or of a template at `assignment`) in `fmt`: svg, png, dot or mermaid.

    `dpi` is a PNG's pixels per inch (default DEFAULT_DPI, 200: sharp in print).

    >>> from archon_dsl import load
    >>> svg = render(load("examples/moa.arch"), "svg")            # doctest: +SKIP
    >>> png = render(load("examples/general_search.arch"), "png", assignment={"depth": 3})  # doctest: +SKIP
    """
    from .template import Template

    dpi = check_dpi(dpi)
    if isinstance(target, Template):
        template, arch = target, target.instantiate(assignment)
    else:
        arch = target
    if fmt == "dot":
        return to_dot(arch, template).encode("utf-8")
    if fmt == "mermaid":
        return to_mermaid(arch, template).encode("utf-8")
    if fmt in BINARY_FORMATS:
        return dot_to(to_dot(arch, template), fmt, dpi)
    raise _error(f"unknown diagram format '{fmt}'", f"formats: {', '.join(FORMATS)}")


def format_for(path: str | Path, fmt: str | None) -> str:
    """The format to write: the one asked for, else the output file's extension says."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise _error(f"unknown diagram format '{fmt}'", f"formats: {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in EXTENSION_FORMATS:
        return EXTENSION_FORMATS[suffix]
    raise _error(
        f"cannot tell the format from '{Path(path).name}'",
        f"use an extension ({', '.join(sorted(EXTENSION_FORMATS))}) or --format {{{'|'.join(FORMATS)}}}",
    )


def write_diagram(
    arch: Architecture,
    out: str | Path,
    fmt: str | None = None,
    template: Template | None = None,
    dpi: int | None = None,
) -> str:
    """Render `arch` into the file `out` and return the format used (Markdown files get a mermaid fence)."""
    fmt = format_for(out, fmt)
    data = render(arch, fmt, template, dpi=dpi)
    if fmt == "mermaid" and Path(out).suffix.lower() == ".md":
        data = b"```mermaid\n" + data + b"```\n"
    Path(out).write_bytes(data)
    return fmt
