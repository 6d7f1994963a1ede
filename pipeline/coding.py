"""Coding of open-ended answers with a versioned code frame.

A verbatim is matched against every category's patterns (case-insensitive
regular expressions). The category whose match starts earliest is the *first
mention*; every category that matches at all is a *mention* (nets count a
person once, however many member categories they mention). A verbatim that
matches a "don't know" pattern is coded as don't know; one that matches
nothing is *uncoded* and reported as such, never dropped.

Coding works on the distinct verbatims of a column, so a wave with a million
answers but a few thousand distinct texts costs a few thousand regex scans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from pipeline.config import CodeFrame
from pipeline.errors import ConfigError

BLANK = -3
DONT_KNOW = -2
UNCODED = -1


@dataclass(frozen=True)
class CodedAnswers:
    """Coded open answers of one column.

    ``first`` holds, per respondent, the index of the first-mentioned category,
    or :data:`UNCODED`, :data:`DONT_KNOW` or :data:`BLANK`. ``mentions`` is an
    (n × categories) boolean matrix of every category mentioned, made when first
    asked for from ``answer`` (each respondent's distinct verbatim) and
    ``distinct_mentions`` (the categories each distinct verbatim mentions).
    """

    frame: CodeFrame
    first: np.ndarray
    answer: np.ndarray
    distinct_mentions: np.ndarray

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.frame.categories]

    @cached_property
    def mentions(self) -> np.ndarray:
        rows: np.ndarray = self.distinct_mentions[self.answer]
        return rows

    def mentioned(self, index: int) -> np.ndarray:
        """True for respondents who mention category ``index``."""
        column: np.ndarray = self.distinct_mentions[:, index]
        mentioned: np.ndarray = column[self.answer]
        return mentioned

    def net_mentions(self, net_key: str) -> np.ndarray:
        """True for respondents who mention any member of the net (counted once)."""
        for net in self.frame.nets:
            if net.key == net_key:
                idx = [self.keys.index(m) for m in net.members]
                any_member = np.asarray(self.distinct_mentions[:, idx].any(axis=1))
                mentioned: np.ndarray = any_member[self.answer]
                return mentioned
        raise KeyError(net_key)


@dataclass(frozen=True)
class _Compiled:
    patterns: tuple[tuple[re.Pattern[str], ...], ...]
    dont_know: tuple[re.Pattern[str], ...]


_COMPILED: dict[tuple[object, ...], _Compiled] = {}


def _compile(frame: CodeFrame) -> _Compiled:
    # Keyed on the patterns themselves: an id() key goes stale when a frame is freed and another
    # frame with the same id@version (but other patterns) reuses its memory.
    key = (frame.key, tuple(tuple(c.patterns) for c in frame.categories), tuple(frame.dont_know_patterns))
    if key not in _COMPILED:
        _COMPILED[key] = _build(frame)
    return _COMPILED[key]


def _pattern(frame: CodeFrame, where: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(
            f"code frame {frame.key}, {where}: invalid regular expression {pattern!r} ({exc}); "
            "write a Python regular expression, e.g. '\\bvårdcentral' (escape ( ) [ ] . + ? * with a backslash)"
        ) from None


# a pattern that refers to its own groups by number or name cannot be joined with others
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<|\(\?\(")


def _joined(patterns: tuple[re.Pattern[str], ...]) -> tuple[re.Pattern[str], ...]:
    """One alternation for a category's patterns where that is safe, else the patterns as they are.

    A search for ``(?:p1)|(?:p2)|…`` finds the leftmost position where any of them matches,
    which is the smallest start over the patterns searched one by one: the same answer as
    ``code_text`` takes from separate searches, in one pass over the verbatim.
    """
    if len(patterns) < 2 or any(p.groups and _GROUP_REFERENCE.search(p.pattern) for p in patterns):
        return patterns
    try:
        return (re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE),)
    except re.error:  # e.g. a global flag such as (?x) that is only allowed at the start
        return patterns


def _build(frame: CodeFrame) -> _Compiled:
    categories = [tuple(_pattern(frame, f"category {cat.key!r}", p) for p in cat.patterns) for cat in frame.categories]
    dont_know = tuple(_pattern(frame, "dont_know_patterns", p) for p in frame.dont_know_patterns)
    return _Compiled(tuple(_joined(c) for c in categories), _joined(dont_know))


def code_text(frame: CodeFrame, text: str) -> tuple[int, list[int]]:
    """Return (first category index or UNCODED/DONT_KNOW/BLANK, all mentioned indices) for one verbatim."""
    text = (text or "").strip()
    if not text:
        return BLANK, []
    compiled = _compile(frame)
    for pattern in compiled.dont_know:
        if pattern.search(text):
            return DONT_KNOW, []
    starts: list[tuple[int, int]] = []
    for index, patterns in enumerate(compiled.patterns):
        best = None
        for pattern in patterns:
            m = pattern.search(text)
            if m is not None and (best is None or m.start() < best):
                best = m.start()
        if best is not None:
            starts.append((best, index))
    if not starts:
        return UNCODED, []
    starts.sort()
    return starts[0][1], sorted(i for _, i in starts)


def code_answers(frame: CodeFrame, verbatims: np.ndarray | pd.Series) -> CodedAnswers:
    """Code a column of verbatims with ``frame``: each distinct verbatim once, then every respondent by it.

    Missing cells (None, NaN) are blank. A pandas string column is factorized as it is
    (no Python string per respondent is made).
    """
    values = verbatims if isinstance(verbatims, pd.Series) else pd.Series(verbatims, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # missing: code -1
    k = len(frame.categories)
    # one row per distinct verbatim and a last one for missing cells (blank), which code -1 picks
    first_u = np.full(len(uniques) + 1, BLANK, dtype=np.int64)
    mentions_u = np.zeros((len(uniques) + 1, k), dtype=bool)
    for i, text in enumerate(uniques):
        first, mentioned = code_text(frame, str(text))
        first_u[i] = first
        mentions_u[i, mentioned] = True
    answer = np.where(codes < 0, len(uniques), codes)  # missing: the last row
    return CodedAnswers(frame, first_u[answer], answer, mentions_u)
