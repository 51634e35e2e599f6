"""E001 syntax-error: the file does not follow the grammar."""

from __future__ import annotations

from .base import Rule


class SyntaxError_(Rule):
    """Reported by the parser; this entry documents it and lets it be selected."""

    code = "E001"
    name = "syntax-error"
    summary = "The text does not follow the .arch grammar."
    docs = """\
## What it checks
That the file parses: balanced braces, `name = value` options, double-quoted
strings closed on their line, known escapes.

## Why
Nothing else can be checked until the file parses. The parser stops at the
first error and names the likely fix for the common mistakes.

## Example
```
layer generator { model: gpt4o      # ':' for '=', and the '}' is missing
```

## Instead
```
layer generator { model = gpt4o }
```
"""
