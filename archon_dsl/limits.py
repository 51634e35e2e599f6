"""The bounds every input is held to, in one place (docs/language.md, "Limits", lists them).

A file past one of these is an error with its location, found before anything
is read whole, allocated or called: a shared `.arch` file cannot make the
front end or a run use unbounded memory, time or money.
"""

from __future__ import annotations

# Reading: an .arch file (or an included one) and the nesting of includes.
MAX_FILE_BYTES = 16 * 1024 * 1024  # 16 MiB: 100,000 declarations take about 4.5 MB
MAX_INCLUDE_DEPTH = 32
# One string literal (a prompt, a system message, an id), in characters as written.
MAX_STRING_CHARS = 1024 * 1024  # 1 MiB

# An architecture: samples a layer draws from each model, calls one layer makes
# for one query, and calls one query makes in all.
MAX_SAMPLES = 1_000
MAX_LAYER_CALLS = 1_000
MAX_CALLS_PER_QUERY = 10_000


def size_text(n: int) -> str:
    """A byte or character count as people read it: 16 MiB, 1,048,576."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n:,}"


def over_limits(arch) -> list[tuple[int, str, str]]:
    """Where `arch` (an Architecture) passes a limit: (layer index, message, hint), in layer order.

    Arithmetic on the layers only, so it is instant however large the
    numbers: samples = 1000000000 is found, never allocated. One cause is one
    finding: a layer over the samples limit is not also reported for its
    calls, nor the query for its total.
    """
    found: list[tuple[int, str, str]] = []
    total, candidates = 0, 0
    for index, layer in enumerate(arch.layers):
        where = f"layer {index + 1} ({layer.kind})"
        calls = layer.calls(candidates)
        total += calls
        if layer.samples > MAX_SAMPLES:
            found.append(
                (
                    index,
                    f"samples = {layer.samples:,} in {where}, over the limit of {MAX_SAMPLES:,}",
                    "sample fewer; for more candidates, add models to the layer",
                )
            )
        elif calls > MAX_LAYER_CALLS:
            found.append(
                (
                    index,
                    f"{where} makes {calls:,} calls per query, over the limit of {MAX_LAYER_CALLS:,} "
                    "for one layer",
                    "use fewer models or samples, or rank to fewer candidates first",
                )
            )
        elif total > MAX_CALLS_PER_QUERY and total - calls <= MAX_CALLS_PER_QUERY and not found:
            found.append(
                (
                    index,
                    f"by {where} a query makes {total:,} calls, over the limit of "
                    f"{MAX_CALLS_PER_QUERY:,} per query",
                    "use fewer layers, models or samples",
                )
            )
        candidates = layer.candidates_out(candidates)
    return found


def refuse_over_limits(arch) -> None:
    """Raise an ArchonError (S015, located) if `arch` passes a limit: the run path's guard, checked or not."""
    from .diagnostics import ArchonError, Diagnostic, Severity

    found = over_limits(arch)
    if found:
        raise ArchonError(
            [
                Diagnostic(
                    "S015", "over-limit", Severity.ERROR, message, arch.layers[index].span, arch.path, hint
                )
                for index, message, hint in found
            ]
        )
