"""Synthetic rating-style feedback waves (``generator: ratings`` in a synth model).

Feedback systems that ask everyone after a visit for a 0–10 recommendation produce one row per
rating: the group that was rated (a unit, a branch, a product), the channel the rating came in by, the
score, now and then a free-text comment, and sometimes who gave it. :func:`synthesize_ratings` draws
such waves from a model (for example ``data/hus/synth/model.yaml``) whose blocks are

* ``waves``: ratings per wave;
* ``score``: the score question, the overall NPS per wave, the detractor : passive ``ratio`` and the
  shape of the scores within detractors, passives and promoters (``points``);
* ``groups``: the group question, each group's share of the ratings and NPS per wave (and ratio);
* ``channels``: the channel question, the channel shares per wave and each channel's NPS difference;
* ``demographics`` (optional): how often sex and age group are known, their shares (per group too) and
  factors per NPS group (who gives which score);
* ``comments`` (optional): how often each score group comments, in which languages, and the
  template sentences and their combinations per score group.

Counts are allocated, not drawn: each wave's overall NPS is its model value to within half a rating,
each group's to within a rating or so, and the channel shares are exact; only the points within the
NPS groups, the comments and the demographics are drawn. One seeded ``numpy`` generator per wave
shuffles the rows, so the same model gives the same files, byte for byte. Waves are written as Parquet
(``format: parquet``) or CSV. Everything is vectorised: half a million ratings take about a second.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from pipeline.config import Project, Question
from pipeline.errors import ConfigError, did_you_mean, preview

log = logging.getLogger(__name__)

NPS_GROUPS = ("detractors", "passives", "promoters")
TONES = {"+": "positive", "-": "negative", "": "neutral"}


# --------------------------------------------------------------------------- exact allocation


def largest_remainder(expected: np.ndarray, total: int) -> np.ndarray:
    """Whole counts summing to ``total`` whose each differs from ``expected`` (same sum) by less than one."""
    expected = np.asarray(expected, dtype=float)
    if expected.sum() > 0:
        expected = expected / expected.sum() * total
    floor = np.floor(expected + 1e-9).astype(np.int64)
    rest = total - int(floor.sum())
    order = np.argsort(-(expected - floor), kind="stable")
    floor[order[:rest]] += 1
    return floor


def round_table(expected: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """An integer table with row sums ``rows`` and column sums ``cols`` (whole numbers with equal totals) that is
    close to ``expected`` (non-negative): fitted to the margins by iterative proportional fitting, then each
    cell rounded up or down, the cells rounded up chosen by a flow through the fractional parts (always possible
    for a table whose margins are whole numbers), the largest fractions first."""
    m = np.asarray(expected, dtype=float).copy()
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if int(rows.sum()) != int(cols.sum()):
        raise ValueError(f"round_table: the row total {int(rows.sum())} differs from the column total {int(cols.sum())}")
    for _ in range(2000):
        with np.errstate(divide="ignore", invalid="ignore"):
            m *= np.where(m.sum(axis=1) > 0, rows / m.sum(axis=1), 0.0)[:, None]
            m *= np.where(m.sum(axis=0) > 0, cols / m.sum(axis=0), 0.0)[None, :]
        if np.abs(m.sum(axis=1) - rows).max(initial=0) < 1e-9:
            break
    floor = np.floor(m + 1e-9).astype(np.int64)
    frac = np.clip(m - floor, 0.0, None)
    need_row = rows - floor.sum(axis=1)
    need_col = cols - floor.sum(axis=0)
    table: np.ndarray = floor + _unit_flow(frac, need_row, need_col)
    return table


def _unit_flow(frac: np.ndarray, need_row: np.ndarray, need_col: np.ndarray) -> np.ndarray:
    """A 0/1 table on the cells with a fraction, with row sums ``need_row`` and column sums ``need_col``."""
    r, k = frac.shape
    x = np.zeros((r, k), dtype=np.int64)
    allowed = frac > 1e-9
    # greedy first, largest fractions first; then augmenting paths move units until every margin is met
    for flat in np.argsort(-frac, axis=None, kind="stable"):
        i, j = divmod(int(flat), k)
        if allowed[i, j] and x[i].sum() < need_row[i] and x[:, j].sum() < need_col[j]:
            x[i, j] = 1
    while True:
        short_rows = [i for i in range(r) if x[i].sum() < need_row[i]]
        if not short_rows:
            return x
        path = _augmenting_path(x, allowed, short_rows[0], need_col)
        if path is None:
            raise ValueError("round_table: no whole-number table with these margins")
        for step, (i, j) in enumerate(path):
            x[i, j] = 1 if step % 2 == 0 else 0


def _augmenting_path(x: np.ndarray, allowed: np.ndarray, start: int, need_col: np.ndarray) -> list[tuple[int, int]] | None:
    """Cells alternately set and cleared from row ``start`` to a column still short of units (breadth first)."""
    r, k = x.shape
    came: dict[int, tuple[int, int]] = {}  # column -> (row it was reached from, previous column or -1)
    seen_rows, frontier = {start}, [(start, -1)]
    while frontier:
        nxt: list[tuple[int, int]] = []
        for i, via in frontier:
            for j in range(k):
                if not allowed[i, j] or x[i, j] or j in came:
                    continue
                came[j] = (i, via)
                if x[:, j].sum() < need_col[j]:
                    path: list[tuple[int, int]] = []
                    col = j
                    while col != -1:
                        row, prev = came[col]
                        path.append((row, col))
                        if prev != -1:
                            path.append((row, prev))
                        col = prev
                    return path[::-1]
                for i2 in range(r):
                    if x[i2, j] and i2 not in seen_rows:
                        seen_rows.add(i2)
                        nxt.append((i2, j))
        frontier = nxt
    return None


def nps_split(nps: np.ndarray | float, ratio: np.ndarray | float) -> np.ndarray:
    """Shares (detractors, passives, promoters) of an NPS ``nps`` (−100…100) with ``ratio`` detractors per passive."""
    t = np.asarray(nps, dtype=float) / 100.0
    passives = (1.0 - t) / (1.0 + 2.0 * np.asarray(ratio, dtype=float))
    detractors = passives * ratio
    return np.stack([detractors, passives, t + detractors], axis=-1)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class _Column:
    question: Question
    codes: list[int]


class RatingsModel:
    """A checked ``generator: ratings`` model: every key the generator reads, found and matched to the codebook."""

    def __init__(self, project: Project, model: dict[str, Any], path: Path) -> None:
        self.project, self.raw, self.path = project, model, path
        try:
            self._read(model)
        except (TypeError, ValueError, AttributeError) as exc:  # a code or number that is not one, a list for a mapping
            raise ConfigError(f"{path}: a value of the wrong type ({exc}); codes and shares are numbers, blocks are "
                              "mappings: compare with data/*/synth/model.yaml") from None

    def _read(self, model: dict[str, Any]) -> None:
        self.years = sorted(int(y) for y in self._get(model, "waves"))
        self.sizes = {int(y): int(n) for y, n in model["waves"].items()}
        for year, n in self.sizes.items():
            if n < 1:
                self._fail(f"waves.{year}", f"{n} ratings", "give a positive number of ratings per wave")
        self.format = str(model.get("format", "csv"))
        if self.format not in ("csv", "parquet"):
            self._fail("format", repr(self.format), "use csv or parquet")
        self.seed = int(model.get("seed", 0))

        score = self._get(model, "score")
        self.score = self._question(score, "score", "scale")
        nps_bands = self.score.question.nps
        if nps_bands is None:
            self._fail("score.column", repr(self.score.question.id), "name a scale question with nps bands in the codebook")
        self.bands = {"detractors": nps_bands.detractors, "passives": nps_bands.passives, "promoters": nps_bands.promoters}
        self.overall = self._per_year(score, "nps", "score")
        self.ratio = float(score.get("ratio", 0.5))
        points = self._get(score, "points", "score")
        self.points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for group in NPS_GROUPS:
            weights = self._get(points, group, "score.points")
            low, high = self.bands[group]
            keys = sorted(int(p) for p in weights)
            outside = [p for p in keys if not low <= p <= high]
            if outside or not any(float(w) > 0 for w in weights.values()):
                self._fail(f"score.points.{group}", f"points {keys}", f"give positive weights to points {low}–{high} only")
            self.points[group] = (np.array(keys), np.array([float(weights[p]) for p in keys]))

        groups = self._get(model, "groups")
        self.group = self._question(groups, "groups", "single")
        self.group_share = self._shares(self._get(groups, "share", "groups"), self.group, "groups.share")
        self.group_codes = list(self.group_share)
        group_nps = self._get(groups, "nps", "groups")
        self.group_nps: dict[int, dict[int, float]] = {}
        for code in self.group_codes:
            self.group_nps[code] = self._per_year({"nps": self._get(group_nps, code, "groups.nps")}, "nps", f"groups.nps.{code}")
        self.group_ratio = {code: float((groups.get("ratio") or {}).get(code, self.ratio)) for code in self.group_codes}

        channels = self._get(model, "channels")
        self.channel = self._question(channels, "channels", "single")
        shares = self._get(channels, "share", "channels")
        self.channel_share = {y: self._shares(self._get(shares, y, "channels.share"), self.channel, f"channels.share.{y}")
                              for y in self.years}
        self.channel_codes = list(self.channel_share[self.years[0]])
        if any(list(s) != self.channel_codes for s in self.channel_share.values()):
            self._fail("channels.share", "different channels in different waves", "list the same channels every wave (0 for none)")
        offsets = channels.get("nps") or {}
        self.channel_nps = np.array([float(offsets.get(c, 0.0)) for c in self.channel_codes])

        self.demographics = model.get("demographics")
        if self.demographics is not None:
            self._check_demographics(self.demographics)
        self.comments = model.get("comments")
        self.comment_question: _Column | None = None
        if self.comments is not None:
            self.comment_question = self._question(self.comments, "comments", "open")
            comment_share = self._get(self.comments, "share", "comments")
            for group in NPS_GROUPS:
                value = float(self._get(comment_share, group, "comments.share"))
                if not 0 <= value <= 100:
                    self._fail(f"comments.share.{group}", str(value), "give the percentage of the group's ratings with a comment, 0–100")
            self.catalogue = comment_catalogue(self.comments, self.seed, self._fail)
        self._check_columns()

    # ---------------------------------------------------------------- checks

    def _fail(self, key: str, found: str, fix: str) -> NoReturn:
        raise ConfigError(f"{self.path}: {key}: {found}; {fix}")

    def _get(self, block: Any, key: Any, where: str = "") -> Any:
        name = f"{where}.{key}" if where else str(key)
        if not isinstance(block, Mapping) or key not in block:
            choices = [str(k) for k in block] if isinstance(block, Mapping) else []
            self._fail(name, "missing" + did_you_mean(str(key), choices), f"add {name} (see data/*/synth/model.yaml for an example)")
        return block[key]

    def _question(self, block: Mapping[str, Any], where: str, kind: str) -> _Column:
        qid = str(self._get(block, "column", where))
        try:
            question = self.project.codebook.question(qid)
        except ConfigError:
            self._fail(f"{where}.column", f"no question {qid!r} in the codebook"
                       + did_you_mean(qid, [q.id for q in self.project.codebook.questions]), "name a question of codebook.yaml")
        if question.type != kind:
            self._fail(f"{where}.column", f"question {qid!r} is of type {question.type}", f"name a question of type {kind}")
        not_asked = [y for y in self.years if not question.asked(y)]
        if not_asked:
            self._fail(f"{where}.column", f"question {qid!r} is not asked in {preview(not_asked)} by the codebook",
                       "add the waves to the question's waves in codebook.yaml")
        return _Column(question, sorted(question.valid_codes()))

    def _per_year(self, block: Mapping[str, Any], key: str, where: str) -> dict[int, float]:
        values = self._get(block, key, where)
        if not isinstance(values, Mapping):
            self._fail(f"{where}.{key}", repr(values), "give one value per wave, e.g. {2021: 68, 2022: 70}")
        absent = [y for y in self.years if y not in values]
        if absent:
            self._fail(f"{where}.{key}", f"no value for {preview(absent)}", "give one per wave of the model")
        out = {y: float(values[y]) for y in self.years}
        bad = [y for y, v in out.items() if not -100 < v < 100]
        if bad:
            self._fail(f"{where}.{key}", f"NPS {out[bad[0]]} in {bad[0]}", "an NPS lies between −100 and 100")
        return out

    def _shares(self, block: Any, column: _Column, where: str) -> dict[int, float]:
        if not isinstance(block, Mapping) or not block:
            self._fail(where, repr(block), "give a share per code, e.g. {1: 80, 2: 20}")
        unknown = [c for c in block if int(c) not in column.codes]
        if unknown:
            self._fail(where, f"unknown code(s) {preview(unknown)} of question {column.question.id!r}",
                       f"use its codes {column.codes}")
        shares = {int(c): float(v) for c, v in block.items()}
        if any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
            self._fail(where, "a negative share or none above 0", "give non-negative shares, some above 0")
        return shares

    def _check_demographics(self, block: Mapping[str, Any]) -> None:
        present = float(block.get("present", 1.0))
        if not 0 <= present <= 1:
            self._fail("demographics.present", str(present), "give the share of ratings with demographics, 0–1")
        demo = self.project.codebook.demographics
        known = {"sex": [c.code for c in demo.sex], "age_group": [g.code for g in demo.age_groups]}
        self.demo_vars = [var for var in ("sex", "age_group") if known[var]]  # those the codebook declares
        for where, shares in [("demographics", block), *((f"demographics.groups.{g}", o) for g, o in (block.get("groups") or {}).items())]:
            if where != "demographics" and int(where.rsplit(".", 1)[1]) not in self.group_codes:
                self._fail(where, "not a group of groups.share", f"use one of {self.group_codes}")
            for var in ("sex", "age_group"):
                if var not in shares:
                    continue
                bad = [c for c in shares[var] if int(c) not in known[var]]
                if bad or not known[var]:
                    self._fail(f"{where}.{var}", f"code(s) {preview(bad or list(shares[var]))} not in the codebook's {var}",
                               f"use its codes {known[var]}")
        for var, per_group in (block.get("factors") or {}).items():
            if var not in known or not isinstance(per_group, Mapping) or set(per_group) - set(NPS_GROUPS):
                self._fail(f"demographics.factors.{var}", "not sex or age_group by detractors/passives/promoters",
                           "give e.g. factors: {age_group: {promoters: {4: 1.2}}}")
            for name, factor in per_group.items():
                bad = [c for c in factor if int(c) not in known[var] or float(factor[c]) < 0]
                if bad:
                    self._fail(f"demographics.factors.{var}.{name}", f"code(s) {preview(bad)} unknown or a factor below 0",
                               f"use its codes {known[var]} with factors ≥ 0")
        for var in ("sex", "age_group"):
            if var not in block and known[var]:
                self._fail(f"demographics.{var}", "missing", f"give shares per code {known[var]} of the codebook")

    def _check_columns(self) -> None:
        made = {self.score.question.id, self.group.question.id, self.channel.question.id}
        if self.comment_question is not None:
            made.add(self.comment_question.question.id)
        for year in self.years:
            left = [q.id for q in self.project.codebook.asked_in(year) if q.id not in made]
            if left:
                self._fail("waves", f"the codebook asks {preview(left)} in {year}, which this model does not generate",
                           "add them to the model or limit their waves in codebook.yaml")

    # ---------------------------------------------------------------- columns in codebook order

    def columns(self) -> list[str]:
        """The columns of a wave file: respondent id, the generated questions in codebook order, sex and age group."""
        demo = self.project.codebook.demographics
        made = {self.score.question.id, self.group.question.id, self.channel.question.id}
        if self.comment_question is not None:
            made.add(self.comment_question.question.id)
        order = [q.id for q in self.project.codebook.questions if q.id in made]
        columns = {"sex": demo.sex_column, "age_group": demo.age_group_column}
        extra = [columns[var] for var in self.demo_vars] if self.demographics is not None else []
        return [demo.respondent_id, *order, *extra]


# --------------------------------------------------------------------------- comments


@dataclass(frozen=True)
class CommentText:
    """One distinct comment text, the template sets it was made of and the codes meant for it."""

    text: str
    sets: tuple[str, ...]
    codes: frozenset[str]
    dont_know: bool


@dataclass(frozen=True)
class Catalogue:
    """The distinct comment texts and, per (score group, language), which of them are written how often."""

    texts: list[CommentText]
    choice: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]  # (group, lang) -> (text indices, probabilities)
    languages: dict[str, float]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def comment_catalogue(block: Mapping[str, Any], seed: int, fail: Callable[[str, str, str], NoReturn]) -> Catalogue:
    """Every distinct comment text of a ``comments`` block: per score group and language, up to ``variants`` texts
    per combination of ``mix``, each a join of one sentence per token (every combination of sentences when there
    are no more, else distinct ones drawn with a generator seeded by ``seed``), all equally likely."""
    rng = np.random.default_rng([seed, 0])
    templates = block.get("templates") or {}
    languages = {str(k): float(v) for k, v in (block.get("languages") or {}).items()}
    if not languages:
        fail("comments.languages", "missing", "give the languages' shares, e.g. {fi: 94, sv: 6}")
    joins = block.get("joins") or {}
    variants = int(block.get("variants", 8))
    texts: list[CommentText] = []
    index: dict[str, int] = {}
    choice: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    mixes = block.get("mix") or {}
    for group in NPS_GROUPS:
        mix = mixes.get(group)
        if not mix:
            fail(f"comments.mix.{group}", "missing", "give the combinations of template sets this group writes, with shares")
        for lang in languages:
            picks: list[int] = []
            weights: list[float] = []
            for combo, share in mix.items():
                parts: list[tuple[str, str, list[str]]] = []
                for token in str(combo).split():
                    sign = token[0] if token[0] in "+-" else ""
                    name, tone = token.lstrip("+-"), TONES[sign]
                    sentences = ((templates.get(name) or {}).get(tone) or {}).get(lang)
                    if not sentences:
                        fail(f"comments.mix.{group}", f"{combo!r}: no {tone} {lang} sentences in templates.{name}"
                             + did_you_mean(name, list(templates)), f"add templates.{name}.{tone}.{lang}")
                    parts.append((name, tone, list(sentences)))
                # every combination of sentences when there are at most `variants`, else that many distinct ones
                sizes = [len(p[2]) for p in parts]
                count = math.prod(sizes)
                combos = np.arange(count) if count <= variants else np.sort(rng.choice(count, size=variants, replace=False))
                for flat in combos:
                    chosen = [p[2][int(i)] for p, i in zip(parts, np.unravel_index(int(flat), sizes), strict=True)]
                    text, last = chosen[0], ""
                    for (_, tone_before, _), (_, tone, _), sentence in zip(parts, parts[1:], chosen[1:], strict=False):
                        kind = "same" if tone == tone_before else "contrast"
                        options = [str(o) for o in (joins.get(kind) or {}).get(lang) or [" "]]
                        options = [o for o in options if o != last or not o.strip()] or options  # no "Lisäksi … Lisäksi"
                        join = last = options[int(rng.integers(len(options)))]
                        text += join + (_lower_first(sentence) if join.rstrip()[-1:].isalpha() else sentence)
                    if text not in index:
                        sets = tuple(p[0] for p in parts)
                        codes = frozenset(c for name in sets for c in (templates[name].get("codes") or []))
                        dont_know = any(bool(templates[name].get("dont_know")) for name in sets)
                        index[text] = len(texts)
                        texts.append(CommentText(text, sets, codes, dont_know))
                    picks.append(index[text])
                    weights.append(float(share) / len(combos))
            w = np.array(weights)
            choice[(group, lang)] = (np.array(picks), w / w.sum())
    return Catalogue(texts, choice, languages)


# --------------------------------------------------------------------------- one wave


@dataclass
class RatingsWave:
    """One generated wave: its columns in file order (codes; -1 where blank) and the comments' distinct texts."""

    columns: dict[str, np.ndarray]
    comment_column: str | None
    comment_texts: list[str]
    blank_where_negative: set[str]
    shift: float

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def frame(self) -> pd.DataFrame:
        """The wave as written to CSV: codes as nullable integers (blank where unknown), comments as text ("" where none)."""
        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            if name == self.comment_column:
                data[name] = np.array([*self.comment_texts, ""], dtype=object)[values]  # -1 takes the blank at the end
            elif name in self.blank_where_negative:
                data[name] = pd.arrays.IntegerArray(np.where(values < 0, 0, values).astype(np.int64), values < 0)
            else:
                data[name] = values
        return pd.DataFrame(data)

    def table(self) -> Any:
        """The wave as an Arrow table for Parquet: comments as text (null where none), unknown codes null."""
        import pyarrow as pa

        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            if name == self.comment_column:
                data[name] = pa.array(self.comment_texts, type=pa.string()).take(pa.array(values, mask=values < 0))
            elif name in self.blank_where_negative:
                data[name] = pa.array(values, mask=values < 0)
            else:
                data[name] = pa.array(values)
        return pa.table(data)


def build_ratings_wave(spec: RatingsModel, year: int, scale: float = 1.0) -> RatingsWave:
    """Draw wave ``year`` of ``spec``, ``scale`` times the model's number of ratings (the NPS targets kept exactly)."""
    rng = np.random.default_rng([spec.seed, year])
    n = max(1, round(spec.sizes[year] * scale))
    groups, channels = spec.group_codes, spec.channel_codes
    n_group = largest_remainder(np.array([spec.group_share[g] for g in groups]), n)

    # the groups' NPS, shifted together so that their count-weighted mean is the overall value exactly
    target = spec.overall[year]
    group_nps = np.array([spec.group_nps[g][year] for g in groups])
    shift = target - float((n_group * group_nps).sum() / n)
    if abs(shift) > 1.0:
        raise ConfigError(
            f"{spec.path}: groups.nps: in {year} the groups' NPS weighted by their shares average {target - shift:.2f}, "
            f"{-shift:+.2f} from score.nps {target:g}; move the groups' values by about {shift:+.2f} (tolerance ±1)"
        )
    group_nps = group_nps + shift
    ratio = np.array([spec.group_ratio[g] for g in groups])
    expected = nps_split(group_nps, ratio) * n_group[:, None]  # groups × (detractors, passives, promoters)

    # whole totals: promoters − detractors is the overall NPS to within half a rating
    k = round(target * n / 100.0)
    passives = round(float(expected[:, 1].sum()))
    if (n - passives + k) % 2:
        passives += 1 if expected[:, 1].sum() > passives else -1
    totals = np.array([(n - passives - k) // 2, passives, (n - passives + k) // 2])
    per_group = round_table(expected, n_group, totals)

    shares = np.array([spec.channel_share[year][c] for c in channels])
    shares = shares / shares.sum()
    channel_totals = largest_remainder(shares * n, n)
    by_channel = round_table(n_group[:, None] * shares[None, :], n_group, channel_totals)

    # per group: channels × NPS groups, each channel's NPS moved by its difference (centred within the group)
    cells = np.zeros((len(groups), len(channels), 3), dtype=np.int64)
    for gi in range(len(groups)):
        counts = by_channel[gi]
        if counts.sum() == 0:
            continue
        centre = float((counts * spec.channel_nps).sum() / counts.sum())
        t = np.clip(group_nps[gi] + spec.channel_nps - centre, -99.0, 99.0)
        cells[gi] = round_table(nps_split(t, ratio[gi]) * counts[:, None], counts, per_group[gi])

    flat = cells.reshape(-1)
    cell_index = np.repeat(np.arange(flat.size), flat)
    group_pos, rest = np.divmod(cell_index, len(channels) * 3)
    channel_pos, nps_group = np.divmod(rest, 3)

    score = np.empty(n, dtype=np.int8)
    for gi, name in enumerate(NPS_GROUPS):
        members = np.flatnonzero(nps_group == gi)
        points, weights = spec.points[name]
        score[members] = rng.choice(points, size=len(members), p=weights / weights.sum())

    comment = np.full(n, -1, dtype=np.int32)
    if spec.comments is not None:
        catalogue = spec.catalogue
        langs = list(catalogue.languages)
        lang_p = np.array([catalogue.languages[x] for x in langs])
        lang_p = lang_p / lang_p.sum()
        for gi, name in enumerate(NPS_GROUPS):
            members = np.flatnonzero(nps_group == gi)
            writes = members[rng.random(len(members)) < float(spec.comments["share"][name]) / 100.0]
            lang = rng.choice(len(langs), size=len(writes), p=lang_p)
            for li, lang_code in enumerate(langs):
                who = writes[lang == li]
                picks, p = catalogue.choice[(name, lang_code)]
                comment[who] = picks[rng.choice(len(picks), size=len(who), p=p)]

    sex = np.full(n, -1, dtype=np.int8)
    age = np.full(n, -1, dtype=np.int8)
    if spec.demographics is not None:
        demo = spec.demographics
        present = rng.random(n) < float(demo.get("present", 1.0))
        overrides = demo.get("groups") or {}
        factors = demo.get("factors") or {}
        for gi, code in enumerate(groups):
            in_group = (group_pos == gi) & present
            for var, out in (("sex", sex), ("age_group", age)):
                if var not in spec.demo_vars:
                    continue
                dist = (overrides.get(code) or {}).get(var) or demo[var]
                codes = np.array([int(c) for c in dist], dtype=np.int8)
                base = np.array([float(v) for v in dist.values()])
                for ni, name in enumerate(NPS_GROUPS):  # who gives which score: the shares times the NPS group's factors
                    who = np.flatnonzero(in_group & (nps_group == ni))
                    factor = (factors.get(var) or {}).get(name) or {}
                    p = base * np.array([float(factor.get(int(c), 1.0)) for c in codes])
                    out[who] = rng.choice(codes, size=len(who), p=p / p.sum())

    order = rng.permutation(n)
    demo_cfg = spec.project.codebook.demographics
    made: dict[str, np.ndarray] = {
        demo_cfg.respondent_id: year * 10**7 + np.cumsum(rng.integers(1, 5, size=n)),  # increasing with gaps, like rating numbers
        spec.group.question.id: np.array(groups, dtype=np.int8 if max(groups) < 128 else np.int16)[group_pos[order]],
        spec.channel.question.id: np.array(channels, dtype=np.int8 if max(channels) < 128 else np.int16)[channel_pos[order]],
        spec.score.question.id: score[order],
        demo_cfg.sex_column: sex[order],
        demo_cfg.age_group_column: age[order],
    }
    comment_column = spec.comment_question.question.id if spec.comment_question is not None else None
    if comment_column is not None:
        made[comment_column] = comment[order]
    log.info("wave %d: %d ratings, groups' NPS shifted by %+.3f", year, n, shift)
    return RatingsWave(
        columns={name: made[name] for name in spec.columns()},
        comment_column=comment_column,
        comment_texts=[t.text for t in spec.catalogue.texts] if spec.comments is not None else [],
        blank_where_negative={demo_cfg.sex_column, demo_cfg.age_group_column},
        shift=shift,
    )


# --------------------------------------------------------------------------- entry point


def synthesize_ratings(
    project: Project, model: dict[str, Any], model_path: Path, out_dir: Path, years: list[int] | None = None, scale: float = 1.0
) -> list[Path]:
    """Write one file per wave of a ``generator: ratings`` model into ``out_dir`` (through a temporary file); return them."""
    spec = RatingsModel(project, model, model_path)
    if not scale > 0:
        raise ConfigError(f"synth --scale {scale}: the scale must be above 0 (e.g. 0.02 for waves of 2 % of the model's size)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for year in spec.years:
        if years and year not in years:
            continue
        wave = build_ratings_wave(spec, year, scale)
        path = out_dir / f"{year}.{spec.format}"
        tmp = path.with_suffix(f".{spec.format}.tmp")
        if spec.format == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(wave.table(), tmp, compression="zstd")
        else:
            wave.frame().to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(path)
        written.append(path)
        log.info("wrote %s (%d ratings)", path, len(wave))
    return written
