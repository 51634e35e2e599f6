"""Codes of reading .arch files and their includes, and of `-p name=value`: E000, E005, E006, E007."""

from __future__ import annotations

from ..diagnostics import Severity
from . import Code

READS = (
    "every command that reads an .arch file "
    "(validate, fmt, expand, space, plan, run, search, rank-models, render, export)"
)
INCLUDES = "every command that loads an .arch file with its includes (all of the above but fmt, which reads one file)"

UNREADABLE_FILE = Code(
    "E000",
    "unreadable-file",
    Severity.ERROR,
    "A file that cannot be read: missing, not UTF-8, not a regular file, or over the size limit.",
    """\
## What it means
The file named (or one it includes) could not be read as text: it does not
exist or is not readable, it is not UTF-8 (the finding points at the first bad
byte), it is a directory, a FIFO or a device, or it is larger than an
architecture file can be.

## Why
Nothing can be checked in a file that cannot be read. A file named on the
command line that cannot be read is a usage problem: the command exits 2.
Under `validate`, a file found in a directory is reported and the others are
still checked.

## Example
```
$ archonc validate notes.arch      # saved as UTF-16 by an editor
```

## What to do
Save the file as UTF-8, give the path of an `.arch` file, or move long prompts
out of it. `--ignore` cannot hide it: with it, nothing of the file was checked.
""",
    READS,
)

INCLUDE_CYCLE = Code(
    "E005",
    "include-cycle",
    Severity.ERROR,
    "An `include` that leads back to a file already being included.",
    """\
## What it means
Following the `include` statements from a file comes back to that file (or to
another file on the same chain).

## Why
The declarations would be spliced in forever. The file cannot be loaded, so
nothing else in it is checked; `--ignore` cannot hide it.

## Example
```
# a.arch
include "b.arch"
# b.arch
include "a.arch"
```

## What to do
Move the shared declarations to a third file that both include, and remove the
circular `include`.
""",
    INCLUDES,
)

BAD_ASSIGNMENT = Code(
    "E006",
    "bad-assignment",
    Severity.ERROR,
    "A `-p` value that is not name=value, names no parameter, or is not of the parameter's type.",
    """\
## What it means
A `-p name=value` given on the command line could not be read: it has no `=`,
the name is not a parameter of the template, or the value is not of the
parameter's type (an int, a float, true/false, one of a choice's values).

## Why
The configuration to run or print cannot be chosen. It is a usage problem:
the command exits 2. (A value of the right type outside the parameter's domain
is S007 instead, and exits 1.)

## Example
```
$ archonc expand examples/itas.arch -p n_gen=three
```

## What to do
Write `-p name=value` with a declared parameter and a value of its type, e.g.
`-p n_gen=3`; `archonc space FILE` lists the parameters and their domains.
""",
    "expand, plan, run, render, export (wherever -p is taken)",
)

INCLUDE_TOO_DEEP = Code(
    "E007",
    "include-too-deep",
    Severity.ERROR,
    "Includes nested deeper than the limit.",
    """\
## What it means
A chain of `include` statements (a file including a file including a file...)
is deeper than the limit the loader allows.

## Why
Declarations reached through a long chain are hard to find, and an unbounded
chain could exhaust the loader. The file cannot be loaded, so nothing else in it
is checked; `--ignore` cannot hide it.

## Example
```
# a.arch
include "b.arch"       # b includes c, c includes d, ... past the limit
```

## What to do
Include the shared declarations from one file rather than through a chain.
""",
    INCLUDES,
)

CODES = (UNREADABLE_FILE, INCLUDE_CYCLE, BAD_ASSIGNMENT, INCLUDE_TOO_DEEP)
