"""S012 invalid-value: an expression or option value of the wrong type or out of range."""

from __future__ import annotations

from .base import DeclarationRule


class InvalidValue(DeclarationRule):
    """Raised while evaluating a declaration or instantiating a point."""

    code = "S012"
    name = "invalid-value"
    summary = (
        "A value of the wrong type or out of range: samples < 1, temperature > 2, an int added to a model..."
    )
    docs = """\
## What it checks
Every evaluated value: option types (`samples`, `top_k`, `count`,
`max_tokens`, `first_k` and `batch_size` are ints of at least 1; a
verifier's `steps` is 1 or 2; `batch_size` is for reward-model rankers only;
`temperature` lies in 0..2; `prompt` and `system` are strings;
`length_control` and `no_system` are true or false; `mode` is judge or
execute), operand types in
expressions, division by zero, unknown functions, a layer with no model,
and domains (non-empty, literal, bounds in order).

## Why
Such a value is a mistake that would otherwise reach the provider as a
failed request, or never be noticed.

## Example
```
layer generator { model = a; samples = 0 }
```

## Instead
```
layer generator { model = a; samples = 1 }
```
"""
