"""Codes of `archonc render`: R001."""

from __future__ import annotations

from ..diagnostics import Severity
from .interop import _code

CODES = (
    _code(
        "R001",
        "render-failed",
        Severity.ERROR,
        "A diagram that could not be drawn: no Graphviz, or Graphviz failed.",
        "SVG and PNG are drawn by Graphviz: `$ARCHON_GRAPHVIZ`, `dot` on the PATH, or\nthe one graphviz-pure's "
        "wheel ships. None was found, or it failed on the graph.",
        "Without Graphviz only the text formats (dot, mermaid) can be written.",
        "$ archonc render arch.arch -o arch.svg       # on a machine with no Graphviz",
        "Install Graphviz (`apt-get install graphviz`) or graphviz-pure, point\n`$ARCHON_GRAPHVIZ` at a `dot` "
        "binary, or write `--format dot` / `mermaid`.",
        "render",
    ),
)
