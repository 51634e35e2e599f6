"""Diagrams: golden DOT and Mermaid, rendering through graphviz-pure, the CLI, Jupyter."""

from __future__ import annotations

import importlib
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from archon_testing import ROOT, assert_golden

from archon_dsl.loader import load

# The module, not the `archon_dsl.diagrams` function the package exports lazily.
render = importlib.import_module("archon_dsl.diagrams")

GOLDEN = Path(__file__).resolve().parent / "render_golden"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archon_json"
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
CASES = sorted(p.stem for p in GOLDEN.glob("*.arch"))
# Drawn at a non-default point, to pin what -p changes.
ASSIGNED = {"template_depth2": ("template", {"depth": 2, "rank": False, "n_gen": 3})}


@pytest.fixture
def pure(monkeypatch):
    """graphviz-pure's binary, found as render finds it in a fresh venv with no `dot` on PATH, and used."""
    path = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("ARCHON_GRAPHVIZ", raising=False)
    binary = render.graphviz_binary()
    assert binary is not None and Path(binary).name.startswith("graphviz-pure"), binary
    monkeypatch.setenv("PATH", path)
    # Pinned, so a system `dot` (other fonts, other sizes) never stands in for it.
    monkeypatch.setenv("ARCHON_GRAPHVIZ", binary)
    return binary


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------
# Golden DOT and Mermaid
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES + sorted(ASSIGNED))
def test_golden_dot_and_mermaid(name):
    source, assignment = ASSIGNED.get(name, (name, None))
    template = load(GOLDEN / f"{source}.arch")
    arch = template.instantiate(assignment)
    assert_golden(GOLDEN / f"{name}.dot", render.to_dot(arch, template))
    assert_golden(GOLDEN / f"{name}.mmd", render.to_mermaid(arch, template))


def test_golden_imported_config_keeps_its_published_order():
    from archon_dsl.interop import import_file

    arch = import_file(FIXTURES / "unit_tests_first.json").architecture
    dot = render.to_dot(arch)
    assert_golden(GOLDEN / "imported_unit_tests_first.dot", dot)
    # Tests skip over the generator layer to nothing that reads them: drawn anyway, unconsumed.
    assert "L0_m0 -> L1_m0" not in dot


# ---------------------------------------------------------------------------
# What the DOT says
# ---------------------------------------------------------------------------


def _dot(text: str) -> str:
    from archon_dsl.loader import load_text

    return render.to_dot(load_text(text).instantiate())


def test_every_layer_is_a_cluster_labelled_with_its_kind_and_each_model_a_node():
    dot = _dot('layer generator { models = ["openai/a", "openai/b"] }\nlayer critic { model = "openai/a" }\n'
               'layer fuser { model = "openai/b" }')
    assert re.findall(r"subgraph (cluster_L\d+)", dot) == ["cluster_L0", "cluster_L1", "cluster_L2"]
    assert "<b>1. generator</b>" in dot and "<b>2. critic</b>" in dot and "<b>3. fuser</b>" in dot
    assert len(re.findall(r"^\s+L0_m\d+ \[label", dot, re.M)) == 2
    assert "shape=note" in dot and "shape=hexagon" in dot


def test_candidates_pass_through_a_critic_and_critiques_reach_past_a_ranker():
    dot = _dot('layer generator { model = "openai/a"; samples = 4 }\nlayer critic { model = "openai/a" }\n'
               'layer ranker { model = "openai/a"; top_k = 2 }\nlayer fuser { model = "openai/a" }')
    edges = re.findall(r"(L\d_m\d|query|answer) -> (L\d_m\d|query|answer) \[([^\]]*)\]", dot)
    candidates = [(a, b, re.search(r'label="(\d+)"', attrs).group(1)) for a, b, attrs in edges
                  if "invis" not in attrs and "style=solid" in attrs and "query" not in (a, b)]
    assert candidates == [("L0_m0", "L1_m0", "4"), ("L1_m0", "L2_m0", "4"), ("L2_m0", "L3_m0", "2"),
                          ("L3_m0", "answer", "1")]
    critiques = [(a, b) for a, b, attrs in edges if 'label="critiques"' in attrs]
    assert critiques == [("L1_m0", "L2_m0"), ("L1_m0", "L3_m0")]
    # The edge that skips the ranker must not stretch the layout out of order.
    assert any("constraint=false" in attrs for a, b, attrs in edges if (a, b) == ("L1_m0", "L3_m0"))


def test_repeated_models_are_one_node_with_their_samples_added():
    dot = _dot('layer generator { models = ["openai/a", "openai/a", "openai/b"]; samples = 2 }')
    assert "x4" in dot and "x2" in dot
    assert "L0_m2" not in dot


def test_forty_models_make_a_grid_of_at_most_eight_rows():
    dot = (GOLDEN / "forty.dot").read_text() if (GOLDEN / "forty.dot").exists() else render.to_dot(
        load(GOLDEN / "forty.arch").instantiate())
    rows = re.findall(r"\{rank=same; ([^\[]+) \[style=invis\]\}", dot)
    assert len(rows) == 5
    assert all(len(r.split(" -> ")) == 8 for r in rows)


def test_labels_escape_html_and_mermaid_specials():
    arch = load(GOLDEN / "escaping.arch").instantiate()
    dot, mermaid = render.to_dot(arch), render.to_mermaid(arch)
    assert "a&lt;b&gt;&amp;&quot;c&quot;" in dot and "R&amp;D" in dot
    assert "<b>" in dot  # markup of our own stays markup
    assert '#quot;' in mermaid and 'a<b>&' not in mermaid.replace("<br/>", "")


# ---------------------------------------------------------------------------
# Rendering with graphviz-pure (no system Graphviz needed)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_renders_to_svg_and_png(path, pure):
    template = load(path)
    arch = template.instantiate()
    svg = render.render(arch, "svg", template).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "cluster_L0" in svg
    width, height = _png_size(render.render(arch, "png", template))
    assert 200 <= width <= 4000 and 150 <= height <= 1400, (width, height)


def test_one_model_and_forty_models_have_sensible_sizes(pure):
    one = _png_size(render.render(load(GOLDEN / "single.arch"), "png"))
    forty = _png_size(render.render(load(GOLDEN / "forty.arch"), "png"))
    assert one[0] < 700 and one[1] < 400
    # A grid of columns: wider than tall, and nowhere near 40 rows high.
    assert forty[1] < 1000 and forty[0] < 2000, forty


def test_render_accepts_a_template_and_an_assignment(pure):
    template = load(GOLDEN / "template.arch")
    assert render.render(template, "dot", assignment={"depth": 3}).decode().count("critic</b>") == 3


def test_missing_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setattr(render, "graphviz_binary", lambda: None)
    with pytest.raises(render.RenderError) as info:
        render.render(load(GOLDEN / "single.arch").instantiate(), "png")
    diag = info.value.diagnostics[0]
    assert "pip install graphviz-pure" in diag.hint and "--format dot" in diag.hint


def test_a_broken_binary_is_a_render_error(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ARCHON_GRAPHVIZ", str(fake))
    with pytest.raises(render.RenderError, match="syntax error in line 1"):
        render.render(load(GOLDEN / "single.arch").instantiate(), "svg")


def test_the_graphviz_package_can_be_pointed_at_graphviz_pure(pure, monkeypatch):
    import graphviz
    import graphviz.backend.dot_command as dot_command

    monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("ARCHON_GRAPHVIZ")
    assert Path(render.use_graphviz_binary()) == dot_command.DOT_BINARY == Path(pure)
    svg = graphviz.Source(render.to_dot(load(GOLDEN / "single.arch").instantiate())).pipe("svg", encoding="utf-8")
    assert "<svg" in svg


def test_jupyter_shows_an_architecture_as_svg(pure):
    bundle = load(GOLDEN / "pipeline.arch").instantiate()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_format_comes_from_the_extension_or_the_flag():
    assert render.format_for("a.svg", None) == "svg"
    assert render.format_for("a.md", None) == "mermaid"
    assert render.format_for("a.out", "png") == "png"
    with pytest.raises(render.RenderError, match="cannot tell the format"):
        render.format_for("diagram.pdf", None)


# ---------------------------------------------------------------------------
# archonc render
# ---------------------------------------------------------------------------


def _archonc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=120,
    )


def test_cli_writes_each_format(tmp_path, pure):
    example = GOLDEN / "template.arch"
    for name in ("d.svg", "d.png", "d.dot", "d.mmd", "d.md"):
        done = _archonc("render", str(example), "-o", str(tmp_path / name), env={"ARCHON_GRAPHVIZ": pure})
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "d.md").read_text().startswith("```mermaid\nflowchart LR")
    assert (tmp_path / "d.dot").read_text() == render.to_dot(load(example).instantiate(), load(example))
    assert _png_size((tmp_path / "d.png").read_bytes())[0] > 200


def test_cli_draws_the_configuration_given_with_p():
    done = _archonc("render", str(GOLDEN / "template.arch"), "--format", "dot", "-p", "depth=3", "-p", "rank=false")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("critic</b>") == 3 and "ranker</b>" not in done.stdout
    assert "depth = 3  (default 1)" in done.stdout


def test_cli_renders_an_archon_json_config():
    done = _archonc("render", str(FIXTURES / "moa.json"), "-f", "mermaid")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("flowchart LR") and "fuser" in done.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--format", "pdf"], 2, "unknown format 'pdf'"),
    (["-f", "png"], 2, "PNG is binary"),
    (["-o", "diagram.pdf"], 2, "cannot tell the format"),
    (["-f", "dot", "-p", "depth=9"], 1, "outside its domain"),
    (["-f", "dot", "-p", "nope=1"], 2, "no parameter named 'nope'"),
])
def test_cli_reports_bad_requests_without_a_traceback(args, code, message):
    done = _archonc("render", str(GOLDEN / "template.arch"), *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cli_without_graphviz_exits_2_with_install_advice(tmp_path):
    done = _archonc("render", str(GOLDEN / "single.arch"), "-o", str(tmp_path / "x.svg"),
                    env={"ARCHON_GRAPHVIZ": str(tmp_path / "missing-dot")})
    assert done.returncode == 2
    assert "cannot run" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("doc", ["tutorial.md", "interop.md"])
def test_every_diagram_the_docs_show_exists_and_is_svg(doc):
    text = (ROOT / "docs" / doc).read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images or doc == "interop.md"
    for image in images:
        path = ROOT / "docs" / image
        assert path.is_file(), image
        assert "<svg" in path.read_text()[:600]
