"""S008 pool-out-of-range: a pool slice or index overruns the pool for some parameter values."""

from __future__ import annotations

from .base import DeclarationRule


class PoolOutOfRange(DeclarationRule):
    """Raised while instantiating a point; over a template it names the values that overrun."""

    code = "S008"
    name = "pool-out-of-range"
    summary = "A pool slice or index that runs past the pool, or comes out empty, for some parameter values."
    docs = """\
## What it checks
Every `pool[i]` and `pool[a:b]`, evaluated at every point of a template's
space: the index must exist, a slice must not ask for more items than the
pool holds (it would otherwise be silently cut short) and must not be empty.
The diagnostic names the parameter values that trigger it, e.g.
"when n_gen >= 9".

## Why
A slice that silently truncates makes several points of the space the same
architecture: the search wastes evaluations and its "best n_gen = 10" means
something else than it says.

## Example
```
pool proposers = [a, b, c, d, e, f, g, h]
param n_gen: int = 3 in 1..10
layer generator { models = proposers[:n_gen] }
```

## Instead
```
param n_gen: int = 3 in 1..8          # or len(proposers)
```
"""
