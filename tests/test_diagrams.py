"""Diagrams: golden DOT and Mermaid, rendering through graphviz-pure, the CLI, Jupyter."""

from __future__ import annotations

import importlib
import math
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
    dot = _dot(
        'layer generator { models = ["openai/a", "openai/b"] }\nlayer critic { model = "openai/a" }\n'
        'layer fuser { model = "openai/b" }'
    )
    assert re.findall(r"subgraph (cluster_L\d+)", dot) == ["cluster_L0", "cluster_L1", "cluster_L2"]
    assert "<b>1. generator</b>" in dot and "<b>2. critic</b>" in dot and "<b>3. fuser</b>" in dot
    assert len(re.findall(r"^\s+L0_m\d+ \[label", dot, re.M)) == 2
    assert "shape=note" in dot and "shape=hexagon" in dot


def test_candidates_pass_through_a_critic_and_critiques_reach_past_a_ranker():
    dot = _dot(
        'layer generator { model = "openai/a"; samples = 4 }\nlayer critic { model = "openai/a" }\n'
        'layer ranker { model = "openai/a"; top_k = 2 }\nlayer fuser { model = "openai/a" }'
    )
    edges = re.findall(r"(L\d_m\d|query|answer) -> (L\d_m\d|query|answer) \[([^\]]*)\]", dot)
    candidates = [
        (a, b, re.search(r'label=" (\d+)"', attrs).group(1))
        for a, b, attrs in edges
        if "invis" not in attrs and "style=solid" in attrs and "query" not in (a, b)
    ]
    assert candidates == [
        ("L0_m0", "L1_m0", "4"),
        ("L1_m0", "L2_m0", "4"),
        ("L2_m0", "L3_m0", "2"),
        ("L3_m0", "answer", "1"),
    ]
    # Critiques are dashed and unlabelled (the legend names them), on the right, clear of the counts.
    critiques = [(a, b) for a, b, attrs in edges if "style=dashed" in attrs]
    assert critiques == [("L1_m0", "L2_m0"), ("L1_m0", "L3_m0")]
    assert all("tailport=e" in attrs and "label" not in attrs for _, _, attrs in edges if "dashed" in attrs)
    # The edge that skips the ranker must not stretch the layout out of order.
    assert any("constraint=false" in attrs for a, b, attrs in edges if (a, b) == ("L1_m0", "L3_m0"))


def test_repeated_models_are_one_node_with_their_samples_added():
    dot = _dot('layer generator { models = ["openai/a", "openai/a", "openai/b"]; samples = 2 }')
    assert "x4" in dot and "x2" in dot
    assert "L0_m2" not in dot


def test_forty_models_make_a_grid_about_as_wide_as_it_is_tall():
    dot = render.to_dot(load(GOLDEN / "forty.arch").instantiate())
    rows = [r.split(" -> ") for r in re.findall(r"\{rank=same; ([^\[]+) \[style=invis\]\}", dot)]
    pool = [[n for n in row if n.startswith("L0_m")] for row in rows if row[-1].startswith("L0_m")]
    # sqrt(2 x 40) rounds up to 9 columns, so 5 rows of 8.
    assert [len(row) for row in pool] == [8] * 5
    assert rows[0][0] == "L0_name"  # the layer's name stands left of its first row


def test_a_small_pool_stands_in_one_row_and_a_mid_sized_one_wraps_evenly():
    assert [len(r) for r in render._grid(list(range(5)))] == [5]
    assert [len(r) for r in render._grid(list(range(8)))] == [4, 4]
    assert [len(r) for r in render._grid(list(range(11)))] == [4, 4, 3]


@pytest.mark.parametrize(
    "top_k, label",
    [(5, "ranks 4, keeps all 4"), (3, "ranks 4, keeps top 3 of 4"), (4, "ranks 4, keeps all 4")],
)
def test_a_ranker_never_says_it_keeps_more_than_it_is_given(top_k, label):
    dot = _dot(
        'layer generator { models = ["openai/a", "openai/b"]; samples = 2 }\n'
        f'layer ranker {{ model = "openai/a"; top_k = {top_k} }}\nlayer fuser {{ model = "openai/a" }}'
    )
    assert label in dot
    assert "top 5 of 4" not in dot


def test_itas_at_its_defaults_says_what_its_rankers_keep():
    template = load(ROOT / "examples" / "itas.arch")
    dot = render.to_dot(template.instantiate(), template)
    # Five generators into a top-5 ranker, then four fusers into another.
    assert "ranks 5, keeps all 5" in dot and "ranks 4, keeps all 4" in dot and "top 5 of 4" not in dot


@pytest.mark.parametrize(
    "model_id, name, head, detail",
    [
        # An alias heads; the detail is the model's own name, without provider and organisation.
        ("together_ai/Qwen/Qwen1.5-110B-Chat", "qwen15_110b", "qwen15_110b", "Qwen1.5-110B-Chat"),
        # Too long: whole tokens leave from the middle, both ends stay.
        (
            "together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
            "llama",
            "llama",
            "Meta-Llama-...Instruct-Turbo",
        ),
        # An inline id: its model name heads, its provider below.
        ("openai/gpt-4o", "openai/gpt-4o", "gpt-4o", "openai"),
        # An alias that repeats the model name adds nothing but the provider.
        ("sim/s1", "s1", "s1", "sim"),
        # One long token is never cut.
        ("openai/" + "x" * 40, "openai/" + "x" * 40, "x" * 40, "openai"),
    ],
)
def test_model_labels_keep_the_alias_large_and_shorten_the_id_by_whole_tokens(model_id, name, head, detail):
    from archon_dsl.architecture import ModelSpec

    assert render._split_id(ModelSpec(name=name, id=model_id)) == (head, detail)


def test_shortening_drops_only_whole_tokens():
    for text in [
        "Mixtral-8x22B-Instruct-v0.1-extended-context-edition",
        "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t",
        "claude-3-5-sonnet-20240620-with-a-long-tail",
    ]:
        short = render._shorten(text, 22)
        front, _, back = short.partition(render.ELLIPSIS)
        assert short != text and text.startswith(front) and text.endswith(back)
        tokens = render._tokens(text)
        assert front in {"".join(tokens[:i]) for i in range(1, len(tokens))}
        assert back in {"".join(tokens[i:]) for i in range(1, len(tokens))}


# Machado, Oliveira and Fernandes (2009), severity 1: linear-RGB simulations of colour-vision deficiencies.
VISION = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _lab(colour: str, vision) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour as seen with `vision`."""

    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5)]
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in vision)
    x, y, z = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


@pytest.mark.parametrize("vision", sorted(VISION))
def test_every_kind_has_its_own_colour_even_with_colour_blindness(vision):
    import itertools

    styles = render.KIND_STYLES
    assert len({s.shape for s in styles.values()}) == len(styles)  # and its own shape, for greyscale print
    for (a, sa), (b, sb) in itertools.combinations(styles.items(), 2):
        distance = math.dist(_lab(sa.fill, VISION[vision]), _lab(sb.fill, VISION[vision]))
        assert distance >= 14, (a, b, round(distance, 1))


def test_labels_escape_html_and_mermaid_specials():
    arch = load(GOLDEN / "escaping.arch").instantiate()
    dot, mermaid = render.to_dot(arch), render.to_mermaid(arch)
    assert "a&lt;b&gt;&amp;&quot;c&quot;" in dot and "R&amp;D" in dot
    assert "<b>" in dot  # markup of our own stays markup
    assert "#quot;" in mermaid and "a<b>&" not in mermaid.replace("<br/>", "")


# ---------------------------------------------------------------------------
# Rendering with graphviz-pure (no system Graphviz needed)
# ---------------------------------------------------------------------------


def _svg_points(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize(
    "path", EXAMPLES + [GOLDEN / "forty.arch"], ids=[p.stem for p in EXAMPLES] + ["forty"]
)
def test_every_example_renders_to_a_sharp_png_no_more_than_twice_as_wide_as_tall(path, pure):
    template = load(path)
    arch = template.instantiate()
    svg = render.render(arch, "svg", template).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "cluster_L0" in svg
    width, height = _png_size(render.render(arch, "png", template))
    # A paper prints it at column or page width: at most 2:1 either way, at
    # 200 pixels per inch (the smallest, one model, is 3 inches wide).
    assert 0.5 <= width / height <= 2.0, (width, height)
    assert width >= 580, (width, height)
    points = _svg_points(svg)
    assert abs(width - points[0] * render.DEFAULT_DPI / 72) <= 3, (width, points)


def test_dpi_sets_a_pngs_pixels_per_inch_and_leaves_svg_alone(pure):
    arch = load(GOLDEN / "single.arch").instantiate()
    low, high = (_png_size(render.render(arch, "png", dpi=dpi)) for dpi in (100, 300))
    assert abs(high[0] - 3 * low[0]) <= 6 and abs(high[1] - 3 * low[1]) <= 6, (low, high)
    assert render.render(arch, "svg", dpi=300) == render.render(arch, "svg")


@pytest.mark.parametrize("dpi", [0, 5000, 2.5, True, "200"])
def test_an_absurd_dpi_is_a_render_error_not_a_graphviz_crash(dpi):
    with pytest.raises(render.RenderError, match="dpi must be a whole number"):
        render.render(load(GOLDEN / "single.arch").instantiate(), "dot", dpi=dpi)


def test_the_legend_is_a_node_of_its_own_with_a_swatch_per_kind_drawn():
    dot = render.to_dot(load(GOLDEN / "pipeline.arch").instantiate())
    legend = re.search(r"^  legend \[label=(.*)\];$", dot, re.M).group(1)
    for kind in ("generator", "critic", "ranker", "fuser", "verifier"):
        assert f'bgcolor="{render.KIND_STYLES[kind].fill}"' in legend and f">{kind}<" in legend
    assert "unit test" not in legend and "dashed: critiques" in legend
    # Not a row of the title's table, where a narrow legend is stretched to the title's width.
    title = re.search(r"^\s+label=(.*)\];$", dot, re.M).group(1)
    assert "bgcolor" not in title


def test_the_title_is_drawn_above_the_layers(pure):
    svg = render.render(load(GOLDEN / "pipeline.arch").instantiate(), "svg").decode()
    title_y = float(re.search(r'<text[^>]*y="(-?[\d.]+)"[^>]*>pipeline</text>', svg).group(1))
    query_y = float(re.search(r'<title>query</title>\s*<ellipse[^>]*cy="(-?[\d.]+)"', svg).group(1))
    assert title_y < query_y  # SVG y grows downwards


def test_one_model_and_forty_models_have_sensible_sizes(pure):
    one = _png_size(render.render(load(GOLDEN / "single.arch"), "png", dpi=72))
    forty = _png_size(render.render(load(GOLDEN / "forty.arch"), "png", dpi=72))
    assert one[0] < 350 and one[1] < 400, one
    # A grid: nowhere near 40 rows high, nor 40 columns wide.
    assert forty[1] < 1000 and forty[0] < 1000, forty


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
    svg = graphviz.Source(render.to_dot(load(GOLDEN / "single.arch").instantiate())).pipe(
        "svg", encoding="utf-8"
    )
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
        [sys.executable, "-m", "archon_dsl.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_cli_writes_each_format(tmp_path, pure):
    example = GOLDEN / "template.arch"
    for name in ("d.svg", "d.png", "d.dot", "d.mmd", "d.md"):
        done = _archonc("render", str(example), "-o", str(tmp_path / name), env={"ARCHON_GRAPHVIZ": pure})
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "d.md").read_text().startswith("```mermaid\nflowchart TB")
    assert (tmp_path / "d.dot").read_text() == render.to_dot(load(example).instantiate(), load(example))
    assert _png_size((tmp_path / "d.png").read_bytes())[0] > 200


def test_cli_dpi_sets_the_pngs_resolution(tmp_path, pure):
    sizes = {}
    for dpi in ("100", "300"):
        done = _archonc(
            "render",
            str(GOLDEN / "single.arch"),
            "-o",
            str(tmp_path / f"{dpi}.png"),
            "--dpi",
            dpi,
            env={"ARCHON_GRAPHVIZ": pure},
        )
        assert done.returncode == 0, done.stderr
        sizes[dpi] = _png_size((tmp_path / f"{dpi}.png").read_bytes())
    assert abs(sizes["300"][0] - 3 * sizes["100"][0]) <= 6, sizes


def test_cli_draws_the_configuration_given_with_p():
    done = _archonc(
        "render", str(GOLDEN / "template.arch"), "--format", "dot", "-p", "depth=3", "-p", "rank=false"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("critic</b>") == 3 and "ranker</b>" not in done.stdout
    assert "depth = 3 (default 1)" in done.stdout


def test_cli_renders_an_archon_json_config():
    done = _archonc("render", str(FIXTURES / "moa.json"), "-f", "mermaid")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("flowchart TB") and "fuser" in done.stdout


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--format", "pdf"], 2, "unknown format 'pdf'"),
        (["-f", "png"], 2, "PNG is binary"),
        (["-o", "diagram.pdf"], 2, "cannot tell the format"),
        (["-f", "dot", "-p", "depth=9"], 1, "outside its domain"),
        (["-f", "dot", "-p", "nope=1"], 2, "no parameter named 'nope'"),
    ],
)
def test_cli_reports_bad_requests_without_a_traceback(args, code, message):
    done = _archonc("render", str(GOLDEN / "template.arch"), *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cli_without_graphviz_exits_2_with_install_advice(tmp_path):
    done = _archonc(
        "render",
        str(GOLDEN / "single.arch"),
        "-o",
        str(tmp_path / "x.svg"),
        env={"ARCHON_GRAPHVIZ": str(tmp_path / "missing-dot")},
    )
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
