"""Categorical variables of a wave by name: the demographics and every single-choice question.

Weighting (its calibration variables), subgroups (a metric's ``by``) and crossed subgroups
(``unit*channel``) all name a variable the same way:

* ``sex``, ``age_group``, ``region``: the codebook's demographics, held in the frame as
  categoricals of their canonical names (a category's key is its name, e.g. ``Kvinna``);
* the id of a ``single`` question: held in the frame as answer codes (a category's key is its
  code as text, e.g. ``"2"``; targets may write it as ``2``).

:func:`variable` resolves a name against the codebook and :meth:`Variable.positions` gives each
respondent's category position (``-1`` where the answer is blank, "Vet ej" or unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.config import Codebook, I18n, Project
from pipeline.errors import ConfigError, DataError, did_you_mean

if TYPE_CHECKING:  # numpy and pandas only where a wave is read: checking the config loads neither
    import numpy as np
    import pandas as pd

DEMOGRAPHICS = ("sex", "age_group", "region")


@dataclass(frozen=True)
class Variable:
    """A categorical variable: its name (= frame column), its categories' keys and labels, and where it comes from."""

    name: str
    source: str  # "demographic" or "question"
    keys: tuple[str, ...]  # category keys in codebook order
    labels: tuple[I18n, ...]
    codes: tuple[int, ...] = ()  # a question's answer code of each category

    def label(self, key: str, lang: str) -> str:
        """The label of the category ``key`` in ``lang`` (the key itself if unknown)."""
        for k, lab in zip(self.keys, self.labels, strict=True):
            if k == key:
                return lab.get(lang)
        return key

    def positions(self, frame: pd.DataFrame, year: int | None = None) -> np.ndarray:
        """Each respondent's category position (int64), ``-1`` where it has none; a DataError if the column is absent."""
        import numpy as np

        if self.name not in frame.columns:
            where = f"wave {year}: " if year is not None else ""
            raise DataError(f"{where}column {self.name!r} is not in the wave file, but the configuration uses it; "
                            f"add the column to the wave files or remove {self.name!r} from the configuration")
        column = frame[self.name]
        if self.source == "demographic":
            return np.asarray(column.cat.codes.to_numpy(), dtype=np.int64)
        values = column.to_numpy().astype(np.int64)
        if not self.codes:
            return np.full(len(values), -1, dtype=np.int64)
        low, high = min(min(self.codes), 0), max(self.codes)
        lookup = np.full(high - low + 1, -1, dtype=np.int64)
        for position, code in enumerate(self.codes):
            lookup[code - low] = position
        inside = (values >= low) & (values <= high)
        out = np.full(len(values), -1, dtype=np.int64)
        out[inside] = lookup[values[inside] - low]
        return out


def variables_of(codebook: Codebook) -> list[str]:
    """Every name :func:`variable` accepts: the declared demographics and the single-choice questions."""
    demo = codebook.demographics
    declared = [v for v in DEMOGRAPHICS if demo.categories(v)]
    return declared + [q.id for q in codebook.questions if q.type == "single"]


def variable(codebook: Codebook, name: str, where: str = "") -> Variable:
    """The variable ``name`` of the codebook, or a one-line ConfigError (prefixed by ``where``) listing the choices."""
    demo = codebook.demographics
    prefix = f"{where}: " if where else ""
    if name in DEMOGRAPHICS:
        keys = demo.categories(name)
        if not keys:
            raise ConfigError(f"{prefix}{name!r} is used but codebook.yaml declares no {name} categories under demographics; "
                              f"declare them or stop using {name!r}")
        return Variable(name, "demographic", tuple(keys), tuple(demo.category_label(name, k) for k in keys))
    question = codebook.by_id.get(name)
    if question is None or question.type != "single":
        choices = variables_of(codebook)
        kind = f" (it is a {question.type} question)" if question is not None else ""
        raise ConfigError(f"{prefix}unknown variable {name!r}{kind}{did_you_mean(name, choices)}; a variable is a demographic "
                          f"or a single-choice question: {', '.join(choices)}")
    cats = question.categories
    labels = tuple(c.short or c.label for c in cats)  # a subgroup is shown by its short label where there is one
    return Variable(name, "question", tuple(str(c.code) for c in cats), labels, tuple(c.code for c in cats))


def crossed(codebook: Codebook, spec: str, where: str = "") -> list[Variable]:
    """The variables of a crossed grouping such as ``unit*channel`` (``sex_age`` is ``sex*age_group``)."""
    if spec == "sex_age":
        spec = "sex*age_group"
    names = [part.strip() for part in spec.split("*")]
    if len(names) < 2 or any(not n for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"{where + ': ' if where else ''}crossed grouping {spec!r} must name two or more different "
                          "variables joined by '*', e.g. 'unit*channel'")
    return [variable(codebook, n, where) for n in names]


def grouping_names(spec: str) -> list[str]:
    """The variable names of a grouping: ``sex`` → [sex], ``unit*channel`` → [unit, channel], ``sex_age`` → [sex, age_group]."""
    if spec == "sex_age":
        return ["sex", "age_group"]
    return [part.strip() for part in spec.split("*")]


def weighting_variables(project: Project) -> set[str]:
    """The variables the weighting calibrates on (none for ``weighting.method: none``)."""
    weighting = project.survey.weighting
    return set() if weighting.method == "none" else set(weighting.variables)


def used_variables(project: Project) -> set[str]:
    """The variables the weighting or the deck's subgroups (``by``) use; the deck may be absent (``validate``)."""
    used = weighting_variables(project)
    deck = getattr(project, "deck", None)
    for slide in deck.slides if deck is not None else []:
        for request in slide.metrics.values():
            for spec in request.by:
                used.update(grouping_names(spec))
    return used
