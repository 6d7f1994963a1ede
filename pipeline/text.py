"""Slide text from jinja2 templates over computed numbers.

Templates run in a sandboxed environment with strict undefined variables:
a template that names something the context does not have is an error that
names the template and the variable. Filters format numbers the Swedish (or
English) way: ``pct``, ``num``, ``count``, ``signed``.

Templates reach the numbers through :class:`TableView` objects (``m.<name>``
for each metric of the slide), e.g. ``{{ m.reach.get(category="2") | pct }}``.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

import numpy as np
import pandas as pd
from jinja2 import StrictUndefined, UndefinedError
from jinja2 import TemplateError as JinjaTemplateError

from pipeline.claims import Claims
from pipeline.errors import TemplateError
from pipeline.numbers import fmt_count, fmt_number, fmt_percent
from pipeline.sandbox import BoundedEnvironment

MAX_TEXT = 10_000  # characters of one rendered title, bullet or note


class TableView:
    """Read-only access to one metric's rows for templates.

    ``get(**filters)`` returns the value of the single row matching the
    filters (defaults: total group, the report wave, first measure); ``row``
    returns that row as a dict; ``rows`` returns all matches as dicts.
    """

    def __init__(self, name: str, table: pd.DataFrame, wave: int) -> None:
        self._name, self._table, self._wave = name, table, wave
        self._text: dict[str, Any] = {}  # column → its values as text (computed once per view)
        self._records: list[dict[str, Any]] | None = None  # the rows as dicts (made once per view)

    def _as_text(self, key: str) -> Any:
        if key not in self._text:
            self._text[key] = self._table[key].astype(str).to_numpy()
        return self._text[key]

    def _match(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows (in table order) matching ``filters`` and the defaults."""
        t = self._table
        defaults: dict[str, Any] = {"wave": self._wave}
        if "group" not in filters and "group_var" not in filters:
            defaults["group"] = "total"
        mask = np.ones(len(t), dtype=bool)
        for key, value in {**defaults, **filters}.items():
            if value is None:
                continue
            if key not in t.columns:
                raise TemplateError(f"metric {self._name!r} has no column {key!r}; columns are {list(t.columns)}")
            if isinstance(value, (list, tuple)):
                mask &= np.isin(self._as_text(key), [str(v) for v in value])
            elif key in ("category", "group", "item"):
                mask &= self._as_text(key) == str(value)
            else:
                mask &= (t[key] == value).to_numpy(dtype=bool, na_value=False)
        if self._records is None:  # the columns are the metric table's, all str; as to_dict("records"), column by column
            lists = cast("dict[str, list[Any]]", t.to_dict("list"))
            self._records = [dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)]
        return [self._records[i] for i in np.flatnonzero(mask)]

    @staticmethod
    def _first_measure(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Only the rows of the first row's measure, when the matches mix measures."""
        measures = {r["measure"] for r in found if not _missing(r["measure"])}
        if len(measures) > 1:
            first = found[0]["measure"]
            return [r for r in found if r["measure"] == first]
        return found

    @property
    def report_wave(self) -> int:
        """The wave the deck reports on (the default of ``wave`` in every lookup)."""
        return self._wave

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        """Every row matching the filters (total group and report wave unless given), as dicts."""
        return [dict(r) for r in self._match(filters)]

    def row(self, **filters: Any) -> dict[str, Any]:
        """The one row matching the filters (total group, report wave, first measure unless given), as a dict."""
        found = self._match(filters)
        if "measure" not in filters and len(found) > 1:
            found = self._first_measure(found)
        if len(found) != 1:
            raise TemplateError(
                f"metric {self._name!r}: {len(found)} rows match {filters} (with group=total, wave={self._wave} unless given); "
                "add filters so exactly one row matches"
            )
        return dict(found[0])

    def get(self, **filters: Any) -> float:
        """The value of the one row matching the filters, e.g. ``m.main.get(category="1")``."""
        return float(self.row(**filters)["value"])

    def top(self, n: int = 1, by: str = "value", **filters: Any) -> list[dict[str, Any]]:
        """The ``n`` rows with the highest ``by`` (value, change …) among the matches."""
        return self._ranked(n, by, filters, highest=True)

    def bottom(self, n: int = 1, by: str = "value", **filters: Any) -> list[dict[str, Any]]:
        """The ``n`` rows with the lowest ``by`` among the matches."""
        return self._ranked(n, by, filters, highest=False)

    def _ranked(self, n: int, by: str, filters: dict[str, Any], highest: bool) -> list[dict[str, Any]]:
        """Matches without uncoded/don't know, ordered by ``by`` (ties in table order, missing values last)."""
        found = self._match(filters)
        if "measure" not in filters and found:
            found = self._first_measure(found)
        found = [r for r in found if str(r["category"]) not in _NOT_RANKED]
        present = [r for r in found if not _missing(r[by])]
        missing = [r for r in found if _missing(r[by])]
        ordered = sorted(present, key=lambda r: r[by], reverse=highest) + missing  # sorted() is stable both ways
        return [dict(r) for r in ordered[:n]]


_NOT_RANKED = frozenset({"uncoded", "dont_know", "99"})


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


_WHITESPACE = re.compile(r"[ \t\r\n]+")

def _pct(value: Any, decimals: int = 0, lang: str = "sv") -> str:
    return fmt_percent(_f(value), decimals, lang)


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class TextRenderer:
    """Renders jinja2 text templates for one language.

    Besides the number filters, templates have the claim functions of
    :class:`pipeline.claims.Claims` (``direction``, ``by_direction``, ``leaders``,
    ``names``, ``record``, ``largest_change``, ``shown_sum``, ``shown_change``) as
    both filters and globals; ``claims.log`` holds what the last sentence claimed.
    """

    def __init__(self, lang: str, strings: dict[str, str] | None = None, alpha: float = 0.05) -> None:
        self.lang = lang
        self.claims = Claims(lang, strings or {}, alpha)
        # immutable sandbox: no dunder/private attributes, and no list.append or dict.update on the
        # context, so one template cannot change what the next one sees
        env = BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

        def pct(value: Any, decimals: int = 0) -> str:
            """A share as per cent: "55 %" (sv) / "55%" (en), halves rounded away from zero."""
            return fmt_percent(_f(value), decimals, lang)

        def pct_signed(value: Any, decimals: int = 0) -> str:
            """A change in per cent with its sign: "+5 %" / "−3 %"."""
            return fmt_percent(_f(value), decimals, lang, signed=True)

        def num(value: Any, decimals: int = 0) -> str:
            """A number with ``decimals`` decimals: "8,4" (sv) / "8.4" (en)."""
            return fmt_number(_f(value), decimals, lang)

        def signed(value: Any, decimals: int = 0) -> str:
            """A number with its sign: "+3" / "−3"."""
            return fmt_number(_f(value), decimals, lang, signed=True)

        def count(value: Any) -> str:
            """A whole count with thousands separator: "2 001" / "2,001"."""
            return fmt_count(_f(value), lang)

        def absolute(value: Any) -> float:
            """The absolute value of a number."""
            return abs(_f(value))

        for name, fn in {"pct": pct, "pct_signed": pct_signed, "num": num, "signed": signed, "count": count, "abs": absolute}.items():
            env.filters[name] = fn
        for name, fn in self.claims.functions().items():
            env.filters[name] = fn
            env.globals[name] = fn
        env.globals["round"] = round
        self.env = env
        self._compiled: dict[str, Any] = {}  # template text → compiled template (many slides share footnotes)

    def render(self, template: str, context: dict[str, Any], where: str) -> str:
        """Render ``template``; ``where`` (e.g. "deck.yaml slide S14 footnote") names it in errors."""
        try:
            if "{{" not in template and "{%" not in template and "{#" not in template:
                out = template  # plain text: nothing for jinja2 to do (and nothing to compile)
            else:
                compiled = self._compiled.get(template)
                if compiled is None:
                    compiled = self._compiled[template] = self.env.from_string(template)
                self.env.start()  # fresh loop, time and size limits for each template
                out = compiled.render(**context)
            if len(out) > MAX_TEXT:
                raise TemplateError(f"the text is {len(out):,} characters long, over the limit of {MAX_TEXT:,}; shorten the template")
        except UndefinedError as exc:
            raise TemplateError(f"{where}: undefined name in template: {exc.message}; known names: {', '.join(sorted(context))}") from None
        except TemplateError as exc:  # from TableView (no such row or column): say which template asked
            message = str(exc)
            raise TemplateError(message if message.startswith(f"{where}: ") else f"{where}: {message}") from None
        except JinjaTemplateError as exc:
            raise TemplateError(f"{where}: template error: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a template calling a method wrongly
            raise TemplateError(f"{where}: template failed: {type(exc).__name__}: {exc}") from None
        # collapse ordinary whitespace only: no-break spaces ("99,2 %", "2 001") must survive
        return " ".join(_WHITESPACE.split(out.strip(" \t\r\n")))
