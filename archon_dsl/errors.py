"""What went wrong, in a user's words: the real error inside an exception group, and OS errors in plain terms."""

from __future__ import annotations

import errno

# errno -> what to tell the user (strerror's wording is terse or misleading for these).
_PLAIN: dict[int | None, str] = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def first_error(error: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups; a cancellation only if nothing else is there."""
    while isinstance(error, BaseExceptionGroup):
        inner = [e for e in error.exceptions if not _is_cancellation(e)] or list(error.exceptions)
        error = inner[0]
    return error


def _is_cancellation(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_is_cancellation(e) for e in error.exceptions)
    return type(error).__name__ in ("CancelledError", "Cancelled")


def describe_os_error(error: OSError) -> str:
    """`disk full`, `read-only file system`, ... else the system's own words."""
    return _PLAIN.get(error.errno, error.strerror or str(error))


def os_error_message(error: OSError) -> tuple[str, str | None]:
    """A one-line message naming the file, and what to do."""
    target = f" {error.filename}" if error.filename else ""
    what = describe_os_error(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"cannot write{target}: {what}",
            "free some space and rerun the same command: finished work is kept and the run resumes",
        )
    if error.errno == errno.EROFS:
        return (
            f"cannot write{target}: {what}",
            "write to a directory you can write to (--out, --trace, --cache-dir)",
        )
    if error.errno == errno.EISDIR:
        return f"{error.filename or 'the path'} is a directory", "give a file name"
    return f"cannot use{target}: {what}", None
