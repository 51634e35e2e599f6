"""A001 one-kind-per-layer: a layer holds components of a single kind (paper, Table 4)."""

from __future__ import annotations

from .base import Report, Rule


class OneKindPerLayer(Rule):
    """In .arch text this holds by construction; imported configs are where it breaks."""

    code = "A001"
    name = "one-kind-per-layer"
    summary = "A layer mixes component kinds."
    docs = """\
## What it checks
That every component of a layer is of the same kind. In `.arch` text this is
guaranteed by the syntax (`layer KIND { ... }` names one kind); the rule
fires when `archonc import` reads an original Archon JSON config whose layer
mixes types, e.g. a generator and a fuser side by side.

## Why
The paper's framework (Table 4) runs one kind per layer: a layer's output is
one list of candidates, and mixing kinds leaves it undefined which
candidates the next layer sees.

## Example
```json
{"layers": [[{"type": "generator", "model": "..."}, {"type": "fuser", "model": "..."}]]}
```

## Instead
Put each kind in its own layer, in the order the data should flow:
```
layer generator { model = a }
layer fuser { model = b }
```
"""

    def check_kinds(self, kinds_by_layer: list[list[str]], report: Report) -> None:
        """For importers: `kinds_by_layer[i]` lists the component kinds of layer i."""
        for index, kinds in enumerate(kinds_by_layer):
            distinct = sorted(set(kinds))
            if len(distinct) > 1:
                report(
                    f"layer {index + 1} mixes component kinds: {', '.join(distinct)}",
                    None,
                    "split it into one layer per kind",
                )
