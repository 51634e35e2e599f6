"""Diagrams of an architecture: Graphviz DOT (rendered to SVG or PNG) and Mermaid."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .architecture import Architecture, Layer, ModelSpec
from .diagnostics import ArchonError, Diagnostic, Severity

if TYPE_CHECKING:
    from .template import Template

FORMATS = ("svg", "png", "dot", "mermaid")
# Output formats that need a Graphviz binary (dot, or the graphviz-pure wheel's).
BINARY_FORMATS = ("svg", "png")
# Where a file extension says which format to write.
EXTENSION_FORMATS = {
    ".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
    ".md": "mermaid",
}
# A layer with more models than this is drawn as a grid of columns, so 40
# proposers make a block, not a 20-inch column.
MAX_ROWS = 8
FONT = "Helvetica"


@dataclass(frozen=True)
class KindStyle:
    """How a component kind is drawn."""

    shape: str
    fill: str
    border: str
    cluster_fill: str
    mermaid: tuple[str, str]  # Mermaid node brackets, open and close


# Okabe-Ito hues (distinguishable with common colour-vision deficiencies), as
# light fills with the full hue on the border; shapes differ too, so the
# kinds stay apart in greyscale print.
KIND_STYLES: dict[str, KindStyle] = {
    "generator": KindStyle("box", "#D6E9F8", "#0072B2", "#F3F8FC", ("(", ")")),
    "critic": KindStyle("note", "#FCE8C8", "#E69F00", "#FEF8EE", (">", "]")),
    "ranker": KindStyle("cds", "#E9DDF1", "#8E5EA2", "#F8F4FA", ("[/", "\\]")),
    "fuser": KindStyle("hexagon", "#D2EFE2", "#009E73", "#F1FAF6", ("{{", "}}")),
    "verifier": KindStyle("octagon", "#F8DCD0", "#D55E00", "#FDF4F0", ("{", "}")),
    "unit_test_generator": KindStyle("tab", "#FFF4B8", "#A89400", "#FFFCEB", ("[[", "]]")),
    "unit_test_evaluator": KindStyle("folder", "#D3ECF8", "#3C9AD0", "#F2F9FD", ("[\\", "/]")),
}
EDGE_STYLES = {
    "candidates": ('style=solid, color="#444444"', "-->"),
    "critiques": ('style=dashed, color="#E69F00", fontcolor="#9A6A00"', "-.->"),
    "tests": ('style=dotted, penwidth=1.6, color="#A89400", fontcolor="#6E6100"', "-.->"),
    "query": ('style=solid, color="#9A9A9A"', "-->"),
}
GREY = "#666666"


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
    per_model = layer.samples if layer.kind in ("generator", "fuser") else 1
    for model in layer.models:
        if nodes and nodes[-1].model == model:
            last = nodes[-1]
            nodes[-1] = ModelNode(last.id, model, last.samples + per_model)
        else:
            nodes.append(ModelNode(f"L{index}_m{len(nodes)}", model, per_model))
    return nodes


def _split_id(model: ModelSpec) -> tuple[str, str]:
    """A model's headline and its detail line: the declared name over the id, or the id's tail over its provider."""
    if model.name != model.id:
        return model.name, model.id
    provider, _, rest = model.id.partition("/")
    if not rest:
        return model.id, ""
    organisation, _, tail = rest.rpartition("/")
    return tail, f"{provider}/{organisation}" if organisation else provider


def _shorten(text: str, limit: int = 40) -> str:
    """Long ids lose their middle (an organisation first), keeping both ends readable."""
    if len(text) <= limit:
        return text
    parts = text.split("/")
    if len(parts) >= 3:
        text = f"{parts[0]}/../{parts[-1]}"
        if len(text) <= limit:
            return text
    keep = limit - 3
    return text[: keep - keep // 2] + "..." + text[-(keep // 2):]


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
        text = f"keeps top {layer.top_k} of {n_in}" if layer.top_k is not None else f"ranks {n_in}"
    elif kind == "verifier":
        text = f"checks {n_in}"
    elif kind == "unit_test_generator":
        text = f"writes {_plural(layer.count or 5, 'test')}"
    else:
        keep = f", keeps top {layer.top_k}" if layer.top_k is not None else ""
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
# unit-test generator writes tests beside them): candidates flow through them.
PASS_THROUGH = frozenset({"critic", "unit_test_generator"})


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
            chain = [tail] + [k for k in range(tail + 1, stop) if arch.layers[k].kind in PASS_THROUGH] + [head]
            for a, b in zip(chain, chain[1:]):
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
    lines = [f"<b>{_html(_shorten(head, 30))}</b>"]
    small = [_shorten(detail)] if detail else []
    if node.samples > 1:
        small.append(f"x{node.samples}")
    small += _model_options(node.model)
    if small:
        lines.append(f'<font point-size="9" color="{GREY}">{_html("  ".join(small))}</font>')
    return "<" + "<br/>".join(lines) + ">"


def _grid(nodes: list[ModelNode]) -> list[list[ModelNode]]:
    """Columns of at most MAX_ROWS nodes, as even as they can be."""
    if len(nodes) <= MAX_ROWS:
        return [nodes]
    columns = math.ceil(len(nodes) / MAX_ROWS)
    rows = math.ceil(len(nodes) / columns)
    return [nodes[i:i + rows] for i in range(0, len(nodes), rows)]


def _caption(arch: Architecture, template: Template | None, kinds: list[str], edge_kinds: set[str]) -> str:
    """The graph label: title, figures and parameters (for a template) on the left, the legend on the right."""
    info = []
    calls = arch.calls_per_query()
    figures = f"{_plural(len(arch.layers), 'layer')}, up to {_plural(calls, 'LLM call')} per query"
    info.append(f'<tr><td align="left" colspan="2"><b>{_html(arch.name)}</b>   '
                f'<font color="{GREY}">{_html(figures)}</font></td></tr>')
    if template is not None and template.params:
        from .template import format_value

        for name, param in template.params.items():
            value = arch.assignment.get(name, param.default)
            mark = "" if _same_value(value, param.default) else f"  (default {format_value(param.default)})"
            info.append(
                f'<tr><td align="left"><font face="Courier" point-size="10">{_html(f"{name} = {format_value(value)}{mark}   ")}</font></td>'
                f'<td align="left"><font face="Courier" point-size="10" color="{GREY}">'
                f'{_html(f"{param.type} in {param.domain_text()}")}</font></td></tr>'
            )
    # One swatch per row: a column of equal-width cells reads as a legend at any count.
    legend = []
    for kind in kinds:
        style = KIND_STYLES[kind]
        legend.append(f'<tr><td bgcolor="{style.fill}" color="{style.border}" border="1" cellpadding="2">'
                      f'<font point-size="10">{kind.replace("_", " ")}</font></td></tr>')
    if edge_kinds & {"critiques", "tests"}:
        lines = ["solid: candidates"]
        lines += ["dashed: critiques"] if "critiques" in edge_kinds else []
        lines += ["dotted: unit tests"] if "tests" in edge_kinds else []
        legend += [f'<tr><td align="left"><font point-size="9" color="{GREY}">{line}</font></td></tr>' for line in lines]
    cells = [f'<td valign="top" align="left"><table border="0" cellspacing="3" cellpadding="0">{"".join(info)}</table></td>']
    if legend:
        cells.append(f'<td valign="top"><table border="0" cellspacing="2" cellpadding="0">{"".join(legend)}</table></td>')
    return '<<table border="0" cellspacing="6" cellpadding="0"><tr>' + "".join(cells) + "</tr></table>>"


def _same_value(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


def to_dot(arch: Architecture, template: Template | None = None) -> str:
    """The architecture as Graphviz DOT text: layers left to right as clusters, a node per model."""
    flow = arch.candidate_flow()
    inflow = [0] + flow[:-1]
    layer_nodes = [_model_nodes(i, layer) for i, layer in enumerate(arch.layers)]
    edges = _flow_edges(arch)
    kinds = list(dict.fromkeys(layer.kind for layer in arch.layers))

    out = [
        "digraph archon {",
        f'  graph [rankdir=LR, compound=true, newrank=true, fontname="{FONT}", fontsize=12, '
        f'nodesep=0.08, ranksep=0.55, pad=0.25, labelloc=b, labeljust=l,',
        f"         label={_caption(arch, template, kinds, {e[2] for e in edges})}];",
        f'  node [fontname="{FONT}", fontsize=11, style="filled", penwidth=1.2, margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
        '  query [label="query", shape=oval, fillcolor="#EEEEEE", color="#9A9A9A"];',
    ]
    # Where an edge enters and leaves a layer: a node in its first and last column.
    enter: dict[Any, str] = {"answer": "answer"}
    leave: dict[Any, str] = {"query": "query"}
    for i, (layer, nodes) in enumerate(zip(arch.layers, layer_nodes)):
        style = KIND_STYLES[layer.kind]
        summary = _layer_summary(layer, inflow[i], flow[i])
        label = (f'<<b>{i + 1}. {layer.kind.replace("_", " ")}</b><br/>'
                 f'<font point-size="9" color="{GREY}">{_html(summary)}</font>>')
        out.append(f"  subgraph cluster_L{i} {{")
        out.append(f'    graph [label={label}, labelloc=t, labeljust=c, style="rounded,filled", '
                   f'fillcolor="{style.cluster_fill}", color="{style.border}", penwidth=1.2, margin=10];')
        rounded = ', style="rounded,filled"' if layer.kind == "generator" else ""
        for node in nodes:
            out.append(f'    {node.id} [label={_node_label(node)}, shape={style.shape}, '
                       f'fillcolor="{style.fill}", color="{style.border}"{rounded}];')
        columns = _grid(nodes)
        # A column shares one rank, so a layer's models stand side by side
        # even when only one of them carries the layer's edges.
        # Invisible edges inside the column keep the models in the order written.
        for column in columns:
            if len(column) > 1:
                chain = " -> ".join(n.id for n in reversed(column))  # rankdir=LR puts a flat edge's head above
                out.append(f"    {{rank=same; {chain} [style=invis]}}")
        # Invisible links from one column to the next lay a big layer out as a grid.
        for left, right in zip(columns, columns[1:]):
            for a, b in zip(left, right):
                out.append(f"    {a.id} -> {b.id} [style=invis];")
        out.append("  }")
        enter[i] = columns[0][len(columns[0]) // 2].id
        leave[i] = columns[-1][len(columns[-1]) // 2].id
    out.append('  answer [label="answer", shape=oval, fillcolor="#EEEEEE", color="#9A9A9A"];')
    for tail, head, data in edges:
        attrs = [EDGE_STYLES[data][0]]
        if isinstance(tail, int):
            attrs.append(f"ltail=cluster_L{tail}")
        if isinstance(head, int):
            attrs.append(f"lhead=cluster_L{head}")
        if data == "candidates":
            attrs.append(f'label="{flow[tail]}"')
        elif data in ("critiques", "tests"):
            attrs.append(f'label="{data}"')
        # Skip edges (critic to ranker past a layer) must not pull layers out of order.
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
    return "".join({"&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;", "#": "#35;"}.get(c, c) for c in text)


def to_mermaid(arch: Architecture, template: Template | None = None) -> str:
    """The architecture as a Mermaid flowchart (renders in GitHub and GitLab Markdown)."""
    flow = arch.candidate_flow()
    inflow = [0] + flow[:-1]
    out = ["flowchart LR"]
    title = arch.name
    if template is not None and template.params:
        from .template import format_value

        title += " (" + ", ".join(
            f"{n}={format_value(arch.assignment.get(n, p.default))}" for n, p in template.params.items()
        ) + ")"
    out.append(f"  %% {title}".replace("\n", " "))
    out.append('  query(["query"])')
    members: dict[str, list[str]] = {}
    for i, layer in enumerate(arch.layers):
        style = KIND_STYLES[layer.kind]
        summary = _layer_summary(layer, inflow[i], flow[i])
        out.append(f'  subgraph L{i}["{i + 1}. {layer.kind.replace("_", " ")}: {_mermaid_text(summary)}"]')
        for node in _model_nodes(i, layer):
            head, detail = _split_id(node.model)
            extra = ([_shorten(detail)] if detail else []) + ([f"x{node.samples}"] if node.samples > 1 else [])
            text = _mermaid_text(head) + (f"<br/><small>{_mermaid_text('  '.join(extra))}</small>" if extra else "")
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


def dot_to(dot: str, fmt: str) -> bytes:
    """Lay out DOT text and return it as `fmt` (svg or png)."""
    if fmt not in BINARY_FORMATS:
        raise _error(f"Graphviz output format '{fmt}' is not supported", f"formats: {', '.join(BINARY_FORMATS)}")
    binary = graphviz_binary()
    if binary is None:
        raise _missing_binary()
    try:
        done = subprocess.run(
            [binary, "-Kdot", f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True, timeout=120,
        )
    except OSError as e:
        raise _error(f"cannot run {binary}: {e.strerror or e}", "check the ARCHON_GRAPHVIZ variable or reinstall graphviz-pure") from None
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
    target: Architecture | Template, fmt: str = "svg", template: Template | None = None,
    assignment: dict[str, Any] | None = None,
) -> bytes:
    """A diagram of an architecture (or of a template at `assignment`) in `fmt`: svg, png, dot or mermaid.

    >>> from archon_dsl import load
    >>> svg = render(load("examples/moa.arch"), "svg")            # doctest: +SKIP
    >>> png = render(load("examples/general_search.arch"), "png", assignment={"depth": 3})  # doctest: +SKIP
    """
    from .template import Template

    if isinstance(target, Template):
        template, arch = target, target.instantiate(assignment)
    else:
        arch = target
    if fmt == "dot":
        return to_dot(arch, template).encode("utf-8")
    if fmt == "mermaid":
        return to_mermaid(arch, template).encode("utf-8")
    if fmt in BINARY_FORMATS:
        return dot_to(to_dot(arch, template), fmt)
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


def write_diagram(arch: Architecture, out: str | Path, fmt: str | None = None, template: Template | None = None) -> str:
    """Render `arch` into the file `out` and return the format used (Markdown files get a mermaid fence)."""
    fmt = format_for(out, fmt)
    data = render(arch, fmt, template)
    if fmt == "mermaid" and Path(out).suffix.lower() == ".md":
        data = b"```mermaid\n" + data + b"```\n"
    Path(out).write_bytes(data)
    return fmt
