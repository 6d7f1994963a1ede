"""The one error family of the pipeline.

Every user mistake (a bad wave file, a bad config value, a template without a
required layout, an output folder that cannot be written) is raised as a
subclass of :class:`PipelineError` whose message is one line that names the
file, wave, column, rows or respondent ids, the bad values, what was expected
and how to fix it. Only the CLI turns these into ``Error: …`` and an exit code;
library code never prints or exits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class PipelineError(Exception):
    """Base of every error a user can cause and fix."""


class DataError(PipelineError):
    """A wave file is missing, unreadable or does not follow the data format."""


class ConfigError(PipelineError):
    """A config file (YAML) is missing, malformed or breaks the schema."""


class WeightingError(PipelineError):
    """Weights cannot be computed as configured (targets, convergence, trimming)."""


class TemplateError(PipelineError):
    """A slide template or a text template cannot be used."""


class OutputError(PipelineError):
    """An output cannot be written where it was asked for."""


def preview(values: Iterable[object], limit: int = 5) -> str:
    """Return a short, quoted list of values with a count, e.g. ``'X', 'Y' (3 in all)``.

    Used by every error message that names bad values, so a file with
    thousands of bad cells still gives one readable line.
    """
    items = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in items[:limit])
    if len(items) > limit:
        return f"{shown}, … ({len(items)} in all)"
    return shown


def distinct_preview(values: Iterable[object], limit: int = 5) -> str:
    """Like :func:`preview`, but each value once (in order of first appearance).

    ``'X', 'Y'`` for the cells ``X, X, Y, X``; ``… (12 distinct)`` when long.
    The count of bad cells belongs in the message itself.
    """
    seen: dict[object, None] = {}
    for v in values:
        key = ("nan",) if isinstance(v, float) and v != v else v  # NaN is not equal to itself
        try:
            seen.setdefault(key, None)
        except TypeError:  # unhashable cell content: compare by its text
            seen.setdefault(repr(v), None)
    items = [float("nan") if k == ("nan",) else k for k in seen]
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in items[:limit])
    if len(items) > limit:
        return f"{shown}, … ({len(items)} distinct)"
    return shown


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for a near miss of ``name`` among ``choices``, else ``""``.

    A match that differs only in case is preferred, since column names and
    config keys are case-sensitive.
    """
    import difflib

    pool = [str(c) for c in choices]
    for c in pool:
        if c.lower() == str(name).lower() and c != name:
            return f" (did you mean {c!r}? names are case-sensitive)"
    close = difflib.get_close_matches(str(name), pool, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def rows_preview(rows: Sequence[int], limit: int = 5) -> str:
    """Return file row numbers as ``rows 3, 7, 12`` (with a count when long)."""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {preview(rows, limit)}"
