"""Run archonc commands in a process where the optional extras' modules cannot be imported.

    python without_extras.py '[["validate", "x.arch"], ["fmt", "--check", "x.arch"]]'

prints, as JSON, each command's exit code, stdout and stderr, and every blocked module something tried
to import: a core install (`pip install archon-dsl`, no extras) behaves the same, without building one.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import io
import json
import sys

# Every module an extra brings (archon_dsl/extras.py), and what they pull in themselves.
BLOCKED = frozenset(
    {
        "anyio",
        "litellm",
        "openai",
        "rich",
        "ax",
        "botorch",
        "gpytorch",
        "torch",
        "matplotlib",
        "PIL",
        "numpy",
        "scipy",
        "pandas",
        "httpx",
        "sniffio",
        "tiktoken",
    }
)


class BlockExtras(importlib.abc.MetaPathFinder):
    """Refuses the blocked modules as if they were not installed, and remembers who was refused."""

    def __init__(self) -> None:
        self.refused: set[str] = set()

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in BLOCKED:
            self.refused.add(top)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def main(commands: list[list[str]]) -> None:
    blocker = BlockExtras()
    sys.meta_path.insert(0, blocker)
    from archon_dsl.cli import dispatch

    results = []
    for argv in commands:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = dispatch(argv)
        results.append({"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    loaded = sorted({m.partition(".")[0] for m in sys.modules} & BLOCKED)
    print(json.dumps({"results": results, "refused": sorted(blocker.refused), "loaded": loaded}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
