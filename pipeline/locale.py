"""The report language, applied at presentation: words from the strings file and codebook, numbers by CLDR.

Metrics emit keys and values (category codes, item ids, group keys); a
:class:`Locale` turns them into the words and numbers of one language for the
deck, the charts, the xlsx and the notes. The fixed phrases come from the
strings file (``strings.yaml`` beside deck.yaml), labels from the codebook and code
frames, number forms from Babel's CLDR data for the language code. A new
language is therefore a column of texts plus a code in ``report.languages``.
pandas is imported only inside :meth:`Locale.label_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline import numbers
from pipeline.config import I18n, Project, Question
from pipeline.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.config import MetricRequest


@dataclass(frozen=True, eq=False)
class Locale:
    """One report language: its code, its fixed phrases, and number formatting by the locale's CLDR patterns."""

    code: str
    strings: Mapping[str, str]
    strings_file: str = "strings"

    @classmethod
    def of(cls, project: Project, code: str) -> Locale:
        """The locale of ``code`` for ``project``: a ConfigError unless ``code`` is one of ``report.languages``."""
        if code not in project.languages:
            raise ConfigError(
                f"language {code!r} is not one of report.languages in survey.yaml ({', '.join(project.languages)})"
                f"{did_you_mean(code, project.languages)}; pick one of them or add it there with its texts"
            )
        return cls(code, {key: text.get(code) for key, text in project.strings.items()}, project.deck.strings)

    # ------------------------------------------------------------------ words

    @property
    def tag(self) -> str:
        """The BCP 47 language tag with its likely territory (``sv-SE``), e.g. for the pptx's language."""
        return numbers.language_tag(self.code)

    def text(self, key: str) -> str:
        """The fixed phrase ``key`` of the strings file in this language."""
        try:
            return self.strings[key]
        except KeyError:
            raise ConfigError(f"{self.strings_file}: no string {key!r}{did_you_mean(key, list(self.strings))}; add it") from None

    def tr(self, text: I18n) -> str:
        """A config text (``{sv: …, en: …}``) in this language."""
        return text.get(self.code)

    # ------------------------------------------------------------------ numbers

    def number(self, value: float | int | None, decimals: int = 0, signed: bool = False) -> str:
        """A number in this locale's form (halves away from zero): ``1 234,5`` / ``1,234.5``."""
        return numbers.fmt_number(value, decimals, self.code, signed)

    def percent(self, value: float | None, decimals: int = 0, signed: bool = False) -> str:
        """A value in per cent by this locale's percent pattern: ``55 %`` / ``55%``."""
        return numbers.fmt_percent(value, decimals, self.code, signed)

    def count(self, value: float | int | None) -> str:
        """A whole count with this locale's grouping: ``2 001`` / ``2,001``."""
        return numbers.fmt_count(value, self.code)

    @property
    def percent_sign(self) -> str:
        """What follows a number in per cent: ``\u00a0%`` / ``%``."""
        return numbers.percent_sign(self.code)

    # ------------------------------------------------------------------ labels of metric rows

    def label_rows(self, table: pd.DataFrame, project: Project, request: MetricRequest | None = None) -> pd.DataFrame:
        """``table`` (metric rows) with ``item_label``, ``group_label`` and ``label`` in this language.

        Metrics leave these None where a word is needed; this fills them from the codebook (question and item
        texts, answer categories, demographics, the don't-know label), the code frames (per wave) and the
        strings file (total, mean, NPS bands, quadrants, uncoded). Language-neutral labels a metric gave
        ("7-10", "R²", "2018-2022") stay. ``request`` (the metric asked for) says which kind made the rows
        and carries an index's own label; without it the kind is told from the question.
        """
        table = table.copy()
        if table.empty:
            return table
        kind, options = _source(request)
        labeller = _Labeller(self, project, kind, options)
        records: list[dict[str, Any]] | None = None  # the rows as dicts, made once per table
        words_of: dict[str, list[Any]] = {}  # each column's words, set into the table once (a column set is a new array)
        for column, fill in (("item_label", labeller.item_label), ("group_label", labeller.group_label), ("label", labeller.label)):
            values = words_of[column] = table[column].tolist()
            missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and v != v)]
            if not missing:
                continue
            if records is None:  # as to_dict("records") gives them, but made column by column (twice as fast)
                lists = {str(k): v for k, v in table.to_dict("list").items()}
                records = [dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)]
            words: dict[tuple[Any, ...], str] = {}  # rows with the same keys get the same words (worked out once)
            for i in missing:
                record = records[i]
                key = tuple(record.get(k) for k in _KEYS)
                if key not in words:
                    words[key] = fill(record)
                values[i] = record[column] = words[key]
        for column, values in words_of.items():  # ranges read with an en dash: "30–44 år", "kl. 07–18"
            table[column] = [numbers.typeset(v) if isinstance(v, str) else v for v in values]
        return table


# the columns a row's words can depend on (never its numbers)
_KEYS = ("metric", "measure", "question", "item", "wave", "group_var", "group", "category", "unit", "item_label", "group_label", "label")


def _source(request: MetricRequest | None) -> tuple[str | None, dict[str, Any]]:
    """The kind that made a request's rows and its options (the inner kind of ``change`` and ``trend``)."""
    if request is None:
        return None, {}
    options = dict(request.options)
    if request.kind in ("change", "trend") and options.get("of"):
        return str(options["of"]), dict(options.get("of_options") or {})
    return request.kind, options


class _Labeller:
    """The words of one table's rows: per row, from its keys (question, item, group, category, measure, wave)."""

    def __init__(self, locale: Locale, project: Project, kind: str | None, options: dict[str, Any]) -> None:
        self.locale, self.project, self.kind, self.options = locale, project, kind, options
        self.code = locale.code

    def _question(self, row: dict[str, Any]) -> Question | None:
        qid = row.get("question")
        return self.project.codebook.question(str(qid)) if isinstance(qid, str) and qid else None

    def item_label(self, row: dict[str, Any]) -> str:
        """The item's text (grid/multi rows) or the question's text; "" for rows of no question."""
        question = self._question(row)
        if question is None:
            return ""
        item = row.get("item")
        return question.item(str(item)).label(self.code) if isinstance(item, str) and item else question.text.get(self.code)

    def group_label(self, row: dict[str, Any]) -> str:
        """The subgroup's name: total, a category of a demographic or single-choice question, or of each variable
        of a crossed grouping (``sex_age``, ``unit*channel``) joined by a space."""
        from pipeline.variables import crossed, grouping_names, variable

        var, key = str(row["group_var"]), str(row["group"])
        if var == "total":
            return self.locale.text("total")
        codebook = self.project.codebook
        if len(grouping_names(var)) == 1:
            return variable(codebook, var).label(key, self.code)
        labels, rest = [], key
        variables = crossed(codebook, var)
        for i, v in enumerate(variables):
            if i == len(variables) - 1:
                part = rest
            else:  # category keys may hold spaces: the longest key the rest starts with
                part = next((k for k in sorted(v.keys, key=len, reverse=True) if rest.startswith(k + " ")), rest.split(" ", 1)[0])
                rest = rest[len(part) + 1:]
            labels.append(v.label(part, self.code))
        return " ".join(labels)

    def _category(self, question: Question, key: str) -> str:
        codebook = self.project.codebook
        if key == str(codebook.dont_know_code) and not any(str(c.code) == key for c in question.categories):
            return codebook.dont_know_label.get(self.code)
        for category in question.categories:
            if str(category.code) == key:
                return category.text(self.code)
        return key

    def label(self, row: dict[str, Any]) -> str:
        """The row's category in words, by the kind that made it."""
        question = self._question(row)
        key, measure = str(row["category"]), str(row["measure"])
        if question is None:
            return key
        kind = self.kind
        if kind == "coded" or (kind is None and question.type == "open"):
            return self._coded(question, key, int(row["wave"]))
        if measure == "quadrant":
            value = row.get("value")
            return self.locale.text(f"quadrant_{int(value)}") if isinstance(value, (int, float)) and value == value else ""
        if measure == "mean":
            return self.locale.text("mean")
        if measure == "index":
            own = self.options.get("label")
            return (I18n.model_validate(own) if isinstance(own, dict) else own or question.text).get(self.code)
        items = {item.id for item in question.items}
        if kind in ("multi", "drivers") or (kind is None and key in items):
            return question.item(key).label(self.code)
        if kind == "nps" or (kind is None and question.nps is not None and key in _NPS_BANDS):
            return self.locale.text(f"nps_{key}")
        if (kind == "scale" or (kind is None and not question.categories)) and question.scale is not None:
            return self._band(question, key)
        return self._category(question, key)

    def _band(self, question: Question, key: str) -> str:
        from pipeline.metrics.scale import band_label

        codebook = self.project.codebook
        if key == str(codebook.dont_know_code):
            return codebook.dont_know_label.get(self.code)
        lo, _, hi = key.partition("-")
        assert question.scale is not None
        return band_label(int(lo), int(hi or lo), question.scale, self.code)

    def _coded(self, question: Question, key: str, wave: int) -> str:
        from pipeline.metrics.coded import DONT_KNOW_KEY, UNCODED_KEY

        if key == UNCODED_KEY:
            return self.locale.text("uncoded")
        if key == DONT_KNOW_KEY:
            return self.project.codebook.dont_know_label.get(self.code)
        frame = self.project.codeframes[question.frame_for(wave)]
        for category in frame.categories:
            if category.key == key:
                return category.label.get(self.code)
        for net in frame.nets:
            if net.key == key:
                return net.label.get(self.code)
        return key


_NPS_BANDS = ("detractors", "passives", "promoters")
