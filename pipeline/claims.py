"""Claims: the words of the deck that say something about the data, computed and checked.

A direction ("ökar / minskar / är oförändrad"), a rank ("högst"), a record
("högst hittills") or a "largest change" is never typed into ``deck.yaml``:
templates ask the functions of this module, which decide the words from the
metric tables and the significance test at the configured level, take the
words themselves from ``strings.yaml`` and log every claim with the figures and
the test behind it. The log goes into the slide's speaker notes, the xlsx
(one sheet) and the manifest.

Rules (documented in the README, "Claims"):

* **Direction.** A change is a rise or a fall only if the test against the
  previous wave is significant at the configured level (p < alpha); otherwise
  it is "unchanged". Without a previous wave there is no direction at all.
* **Conditional titles.** :meth:`Claims.by_direction` and :meth:`Claims.record`
  take the claim form(s) and a neutral form; the data pick one. A title whose
  claim does not hold shows its neutral form.
* **Ranks.** Values are compared as the chart shows them (rounded to the
  chart's decimals); every row tied with the last place named is named too.
* **Records.** "Highest so far" means the report wave's shown value is above
  every earlier wave the slide shows; nothing else is called a record.
* **Largest change.** Among the rows the chart shows, only significant changes
  count; the change is the difference of the shown (rounded) values; ties are
  named together; with none significant the sentence says so.

:func:`preflight` checks each rendered sentence before the deck is written
(claims hold, numbers equal the chart's, no claim word typed in, ▲▼ explained).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from pipeline.errors import PipelineError
from pipeline.numbers import fmt_number, fmt_percent, number_symbols, percent_sign, round_half_away


class ClaimError(PipelineError):
    """A sentence of the deck states something its data do not support (``--strict``)."""


def alpha_of(stats: Any) -> float:
    """The significance level alpha of the tests behind claims (the one place it is read from config)."""
    return float(stats.alpha)


@dataclass
class Claim:
    """One claim made by a sentence: what it says, the figures and the test behind it, and whether it holds."""

    kind: str
    statement: str
    figures: str
    test: str = ""
    holds: bool = True
    neutral: str | None = None  # the text to use instead when the claim fails (titles)


@dataclass
class Problem:
    """A preflight finding on one sentence."""

    part: str
    sentence: str
    reason: str


def shown(value: float, decimals: int) -> float:
    """``value`` as the chart shows it (rounded half away from zero)."""
    return float(round_half_away(value, decimals)) if _finite(value) else math.nan


def _finite(value: Any) -> TypeGuard[float]:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _p(value: Any, lang: str) -> str:
    """"p = 0,062" / "p < 0,001" (the p value of a test, as the notes give it)."""
    if not _finite(value):
        return "p = –"
    v = float(value)
    return "p < " + fmt_number(0.001, 3, lang) if v < 0.001 else "p = " + fmt_number(v, 3, lang)


class Claims:
    """The claim functions of one language, with the log of the slide being rendered.

    ``strings`` are the fixed phrases (``strings.yaml``) in the language;
    ``alpha`` the significance level. ``start()`` begins a new sentence's log.
    """

    def __init__(self, lang: str, strings: dict[str, str], alpha: float) -> None:
        self.lang, self.strings, self.alpha = lang, strings, alpha
        self.log: list[Claim] = []

    # ------------------------------------------------------------------ helpers

    def start(self) -> None:
        """Begin a new sentence: forget the claims logged so far."""
        self.log = []

    def _s(self, key: str, **values: Any) -> str:
        text = self.strings.get(key, key)
        for k, v in values.items():
            text = text.replace("{" + k + "}", str(v))
        return text

    def _num(self, value: float, decimals: int, unit: str, signed: bool = False) -> str:
        if unit == "percent":
            return fmt_percent(value, decimals, self.lang, signed)
        return fmt_number(value, decimals, self.lang, signed)

    def _label(self, row: dict[str, Any]) -> str:
        for key in ("group_label", "item_label", "label"):
            if key == "group_label" and row.get("group_var") == "total":
                continue
            text = row.get(key)
            if key == "item_label" and not row.get("item"):
                continue
            if isinstance(text, str) and text:
                return text
        return str(row.get("category", ""))

    def _significant(self, row: dict[str, Any]) -> bool | None:
        """True/False by the test at alpha; None if there is nothing to compare against."""
        if not _finite(row.get("change")):
            return None
        p = row.get("p_value")
        return _finite(p) and float(p) < self.alpha

    def _sense(self, row: dict[str, Any]) -> str:
        """``up``, ``down``, ``flat`` (not significant) or ``none`` (no previous wave)."""
        sig = self._significant(row)
        if sig is None:
            return "none"
        if not sig:
            return "flat"
        return "up" if float(row["change"]) > 0 else "down"

    def _test_text(self, row: dict[str, Any], decimals: int = 0) -> str:
        unit = str(row.get("unit", ""))
        if unit == "growth":  # a trend's annual growth: the slope's test
            return self._s("claim_growth", span=str(row.get("label", "")).replace("-", "–"),
                           growth=fmt_number(float(row["value"]), 1, self.lang, True), p=_p(row.get("p_value"), self.lang),
                           alpha=fmt_number(self.alpha, 2, self.lang))
        new = float(row["value"]) if _finite(row.get("value")) else math.nan
        old = new - float(row["change"]) if _finite(row.get("change")) else math.nan
        prev = row.get("prev_wave")
        prev_text = str(int(prev)) if _finite(prev) else "–"
        return self._s("claim_test", old=self._num(old, 1, unit), new=self._num(new, 1, unit), prev=prev_text,
                       wave=int(row["wave"]),
                       change=fmt_number(float(row["change"]) if _finite(row.get("change")) else math.nan, 1, self.lang, True),
                       p=_p(row.get("p_value"), self.lang), alpha=fmt_number(self.alpha, 2, self.lang))

    # ------------------------------------------------------------------ directions

    def direction(self, row: dict[str, Any]) -> str:
        """The direction word of a row's change: rises / falls / is unchanged (or 'no earlier wave'), tested at alpha."""
        sense = self._sense(row)
        word = self._s(f"dir_{sense}")
        what = self._label(row)
        self.log.append(Claim("direction", f"{what}: {word}", self._test_text(row) if sense != "none" else self._s("claim_no_prev")))
        return word

    def by_direction(self, row: dict[str, Any], up: str = "", down: str = "", flat: str = "", neutral: str = "") -> str:
        """``up`` / ``down`` / ``flat`` text by the tested direction of a row's change; ``neutral`` without a previous wave.

        A form left empty falls back to ``neutral`` (so a title can have a claim
        form for one direction only and a neutral form for the rest).
        """
        sense = self._sense(row)
        chosen = {"up": up, "down": down, "flat": flat}.get(sense, "") or neutral
        self.log.append(Claim("direction", f"{self._label(row)}: {self._s('dir_' + sense)} → “{chosen}”",
                              self._test_text(row) if sense != "none" else self._s("claim_no_prev"), neutral=neutral or None))
        return chosen

    # ------------------------------------------------------------------ ranks

    def leaders(self, view: Any, n: int = 1, by: str = "value", decimals: int = 0, lowest: bool = False,
                exclude: list[Any] | tuple[Any, ...] = (), **filters: Any) -> list[dict[str, Any]]:
        """The rows of the first ``n`` places by ``by`` as shown (rounded to ``decimals``), every tie with the n-th place included.

        ``exclude``: category keys left out (e.g. a net the chart does not show).
        """
        rows = view.bottom(10**6, by=by, **filters) if lowest else view.top(10**6, by=by, **filters)
        skip = {str(e) for e in exclude}
        rows = [r for r in rows if _finite(r.get(by)) and str(r.get("category")) not in skip]
        if not rows:
            self.log.append(Claim("rank", self._s("rank_lowest" if lowest else "rank_highest"), "–", holds=False))
            return []
        cut = shown(float(rows[min(n, len(rows)) - 1][by]), decimals)
        out = [r for r in rows if (shown(float(r[by]), decimals) >= cut if not lowest else shown(float(r[by]), decimals) <= cut)]
        word = self._s("rank_lowest" if lowest else "rank_highest")
        unit = str(out[0].get("unit", ""))
        figures = "; ".join(f"{self._label(r)} {self._num(float(r[by]), decimals, unit)}" for r in rows[: len(out) + 1])
        ties = len(out) > n
        self.log.append(Claim("rank", f"{word} ({n}): " + ", ".join(self._label(r) for r in out), figures,
                              self._s("claim_ties") if ties else ""))
        return out

    def names(self, rows: list[dict[str, Any]], key: str = "", lower: bool = False, decimals: int | None = None) -> str:
        """The rows' labels joined as a list in words ("a, b och c"); ``key`` picks the label column.

        With ``decimals`` each label is followed by its value as shown: "a (78 %) och b (73 %)".
        """
        labels = [str(r.get(key)) if key else self._label(r) for r in rows]
        if lower:
            labels = [t[:1].lower() + t[1:] if not t[:2].isupper() else t for t in labels]
        if decimals is not None:
            labels = [f"{t} ({self._num(float(r['value']), decimals, str(r.get('unit', '')))})" for t, r in zip(labels, rows, strict=False)]
        if len(labels) <= 1:
            return "".join(labels)
        return ", ".join(labels[:-1]) + f" {self._s('and')} " + labels[-1]

    # ------------------------------------------------------------------ records

    def record(self, view: Any, high: str | None = None, low: str | None = None, neutral: str = "", decimals: int = 0,
               **filters: Any) -> str:
        """``high`` if the report wave's shown value is above every earlier wave the slide shows, ``low`` if below all, else ``neutral``.

        Defaults for ``high`` / ``low`` are "högst hittills" / "lägst hittills" (strings).
        """
        rows = [r for r in view.rows(**{"wave": None, **filters}) if _finite(r.get("value"))]
        wave = view.report_wave
        now = [r for r in rows if int(r["wave"]) == wave]
        before = [r for r in rows if int(r["wave"]) < wave]
        high = self._s("record_high") if high is None else high
        low = self._s("record_low") if low is None else low
        chosen, state = neutral, self._s("claim_no_prev")
        if len(now) == 1 and before:
            v = shown(float(now[0]["value"]), decimals)
            earlier = [shown(float(r["value"]), decimals) for r in before]
            if v > max(earlier):
                chosen, state = high, self._s("record_high")
            elif v < min(earlier):
                chosen, state = low, self._s("record_low")
            else:
                state = self._s("record_none")
        unit = str(rows[0].get("unit", "")) if rows else ""
        figures = ", ".join(f"{int(r['wave'])} {self._num(float(r['value']), decimals, unit)}"
                            for r in sorted(rows, key=lambda r: r["wave"]))
        self.log.append(Claim("record", f"{state} → “{chosen}”", figures, neutral=neutral or None))
        return chosen

    # ------------------------------------------------------------------ largest change

    def largest_change(self, view: Any, sense: str = "any", by: str = "change", decimals: int = 0, unit: str = "points",
                       **filters: Any) -> str:
        """"Largest rise/fall: <groups> (<change>)" among the matched rows whose change is significant; "none … significant" if none.

        ``sense``: ``up``, ``down`` or ``any``; ``by``: the column holding the change
        (``change``, or ``value`` for a change metric); ``unit``: ``percent`` (a % sign), or the
        strings key of the unit's word after the number: ``points`` (percentage points, the default),
        ``nps_points`` (a change of an NPS) or any other key of the strings file.
        With none significant: ``largest_none`` (``largest_none_up`` / ``_down`` when ``sense`` asks for one).
        """
        rows = [r for r in view.rows(**filters) if _finite(r.get(by))]

        def amount(r: dict[str, Any]) -> float:
            if by == "change":
                new = float(r["value"])
                return shown(new, decimals) - shown(new - float(r["change"]), decimals)
            return shown(float(r[by]), decimals)

        sig = [r for r in rows if self._significant(r)]
        if sense == "up":
            sig = [r for r in sig if amount(r) > 0]
        elif sense == "down":
            sig = [r for r in sig if amount(r) < 0]
        tested = "; ".join(f"{self._label(r)} {fmt_number(amount(r), decimals, self.lang, True)} ({_p(r.get('p_value'), self.lang)})"
                           for r in rows)
        if not sig:
            text = self._s("largest_none" if sense == "any" else f"largest_none_{sense}")
            self.log.append(Claim("largest_change", text, tested, f"α = {fmt_number(self.alpha, 2, self.lang)}"))
            return text
        best = max(abs(amount(r)) for r in sig)
        winners = [r for r in sig if abs(amount(r)) == best]
        up = amount(winners[0]) > 0
        if sense == "any" and any((amount(r) > 0) != up for r in winners):
            up = True  # tie between a rise and a fall of the same size: named as the rise, the fall is named with it
        value = fmt_number(amount(winners[0]), decimals, self.lang, True)
        value = value + percent_sign(self.lang) if unit == "percent" else value + " " + self._s(unit)
        text = self._s("largest_up" if up else "largest_down", names=self.names(winners), change=value)
        self.log.append(Claim("largest_change", text, tested, f"α = {fmt_number(self.alpha, 2, self.lang)}"))
        return text

    # ------------------------------------------------------------------ shown figures

    def shown_sum(self, view: Any, decimals: int = 0, **filters: Any) -> float:
        """The sum of the matched rows' values as the chart shows them (each rounded first), so text and labels agree."""
        return sum(shown(float(r["value"]), decimals) for r in view.rows(**filters) if _finite(r.get("value")))

    def shown_change(self, row: dict[str, Any], decimals: int = 0) -> float:
        """A row's change as the difference of its two shown (rounded) values."""
        if not _finite(row.get("change")):
            return math.nan
        new = float(row["value"])
        return shown(new, decimals) - shown(new - float(row["change"]), decimals)

    def shown_max(self, view: Any, decimals: int = 0, **filters: Any) -> float:
        """The largest shown value among the matched rows (e.g. the top of a trend)."""
        values = [shown(float(r["value"]), decimals) for r in view.rows(**filters) if _finite(r.get("value"))]
        return max(values) if values else math.nan

    def functions(self) -> dict[str, Any]:
        """Template names → functions: filters and globals share these names."""
        return {"direction": self.direction, "by_direction": self.by_direction, "leaders": self.leaders, "names": self.names,
                "record": self.record, "largest_change": self.largest_change, "shown_sum": self.shown_sum,
                "shown_change": self.shown_change}


# ---------------------------------------------------------------------- preflight

_NUMBER = r"(?<![\w,.])([+\-−]?)(\d{1,3}(?:[\u202f\u00a0 ,]\d{3})+(?!\d)|\d+)([.,]\d+)?(?:([\u00a0 ]?%)|( {points}))?"


@functools.cache
def _number_pattern(points: str) -> re.Pattern[str]:
    """The figure pattern with the language's word for percentage points (``points`` in the strings file) as a unit."""
    return re.compile(_NUMBER.replace("{points}", re.escape(points) if points else "(?!)"))


_YEAR = re.compile(r"(19|20)\d\d")


def numbers_in(text: str, lang: str, points: str = "") -> list[tuple[float, int]]:
    """The figures of a sentence that state a value: (value, decimals) of numbers with a decimal, a sign, a % or 'points'.

    Plain integers without a unit (years, ages "18–29", "7–10", 1177) are not figures, except NPS scores in a
    sentence that names NPS.
    """
    out = []
    nps = "NPS" in text
    for m in _number_pattern(points).finditer(text):
        sign, whole, frac, pct, pts = m.groups()
        start, end = m.span()
        if (start > 0 and text[start - 1] in "–-") or (end < len(text) and text[end:end + 1] in "–-" and not pct):
            continue  # a range (18–29, 7–10)
        if not (frac or sign or pct or pts) and not (nps and not _YEAR.fullmatch(whole)):
            continue  # a plain integer is a figure only in a sentence about NPS (a score without a unit)
        decimal, group = number_symbols(lang)
        spaces = "\u202f\u00a0 " if group.isspace() else ""  # any space groups where the locale groups with one
        digits = "".join(ch for ch in whole if ch != group and ch not in spaces)
        if frac and frac[0] == group:
            continue  # "1,5" in English is no decimal
        value = float(digits + (("." + frac[1:]) if frac else ""))
        if sign in ("-", "−"):
            value = -value
        out.append((value, len(frac) - 1 if frac else 0))
    return out


def chart_numbers(specs: list[Any]) -> set[tuple[float, int]]:
    """Every figure a reader can see on the chart(s), as (value, decimals): the labels at the chart's decimals, and
    the differences and running sums of the labels of one row (a change, a share of several bands) at those decimals.
    """
    values: set[tuple[float, int]] = set()
    for spec in specs:
        d = spec.decimals
        per_row: dict[int, list[float]] = {}
        per_series: list[list[float]] = []
        for s in spec.series:
            mine = []
            for i, v in enumerate(s.values):
                if _finite(v):
                    values.add((abs(shown(float(v), d)), d))
                    per_row.setdefault(i, []).append(shown(float(v), d))
                    mine.append(shown(float(v), d))
            per_series.append(mine)
        for r in list(per_row.values()) + per_series:
            for a in range(len(r)):
                total = 0.0
                for b in range(a, len(r)):
                    total += r[b]
                    values.add((round(abs(total), 6), d))
                    values.add((round(abs(r[b] - r[a]), 6), d))
        side_decimals = {"mean": int(getattr(spec.detail, "mean_decimals", 1) or 1)}  # printed columns beside the bars
        detail = spec.detail
        side = [(f.name, getattr(detail, f.name)) for f in dataclasses.fields(detail)] if dataclasses.is_dataclass(detail) else []
        for name, value in side:
            if isinstance(value, (list, tuple)):
                dd = side_decimals.get(name, d)
                for item in value:  # a number, or a labelled one such as a score's (score, share) of the NPS panel
                    for v in (item if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) else (item,)):
                        if isinstance(v, (int, float)) and not isinstance(v, bool) and _finite(v):
                            values.add((abs(shown(float(v), dd)), dd))
    return values


def _from_notes(text: str, lang: str) -> set[tuple[float, int]]:
    """The numbers of a chart's notes table, each at the decimals it is written with."""
    out: set[tuple[float, int]] = set()
    for m in re.finditer(r"[+\-−]?\d+(?:[.,]\d+)?", text):
        token = m.group(0).replace("−", "-").lstrip("+")
        decimal, group = number_symbols(lang)
        token = token.replace(group, "").replace(decimal, ".")
        try:
            v = float(token)
        except ValueError:
            continue
        out.add((abs(round(v, 6)), len(token.split(".")[1]) if "." in token else 0))
    return out


def marks(spec: Any) -> bool:
    """True if the chart prints a ▲ or ▼ anywhere: on a bar or point, or beside a mean."""
    return any(x for ser in spec.series for x in ser.sig) or any(x for x in (getattr(spec.detail, "mean_sig", None) or ()) if x)


@dataclass
class Sentence:
    """One rendered text of a slide with the claims it made."""

    part: str
    text: str
    claims: list[Claim] = field(default_factory=list)


def preflight(sentences: list[Sentence], specs: list[Any], notes_tables: list[str], footnote: str, lang: str,
              claim_words: list[str], sig_legend: str, points: str = "") -> list[Problem]:
    """Check a slide's sentences before writing: claims hold, figures equal the chart's, no claim word typed in, ▲▼ explained."""
    problems: list[Problem] = []
    allowed = chart_numbers(specs) | set().union(*[_from_notes(t, lang) for t in notes_tables]) if specs else set()
    words = re.compile(r"\b(" + "|".join(re.escape(w) for w in claim_words) + r")\b", re.IGNORECASE) if claim_words else None
    for s in sentences:
        for c in s.claims:
            if not c.holds:
                problems.append(Problem(s.part, s.text, f"claim does not hold: {c.statement} ({c.figures})"))
        if words is not None and not s.claims:
            hit = words.search(s.text)
            if hit:
                problems.append(Problem(s.part, s.text, f"claim word {hit.group(0)!r} is typed in, not computed (use a claim function)"))
        if specs and s.part in ("commentary", "body"):
            for value, decimals in numbers_in(s.text, lang, points):
                if (round(abs(value), 6), decimals) not in allowed:
                    figure = fmt_number(value, 1, lang).rstrip("0").rstrip(",.")
                    problems.append(Problem(s.part, s.text, f"figure {figure} is not on the chart"))
                    break
    if specs and any(marks(spec) for spec in specs) and sig_legend and sig_legend not in footnote:
        problems.append(Problem("footnote", footnote, "▲▼ on the chart but the footnote does not explain them"))
    return problems


__all__ = ["Claim", "ClaimError", "Claims", "Problem", "Sentence", "alpha_of", "chart_numbers", "marks", "numbers_in", "preflight", "shown"]
