"""Synthetic sample waves, calibrated to the published figures of the 1177 deck.

``survey-deck synth`` writes one CSV per wave into the survey's waves folder from the
population model in ``files.synth`` (e.g. ``data/1177/synth/model.yaml``). For each wave it

1. draws respondents by sex × age cell with a web-panel skew (too many older
   women, too few young men) and gives them ages and regions;
2. weights them with the project's own weighting stage, so it knows each
   respondent's weight;
3. for every question asked that wave, allocates answer counts per cell by
   iterative proportional fitting of a cell × answer table whose column totals
   are the model's *weighted* targets and whose seeds carry the subgroup
   patterns (effects, factors, pinned cell shares), then hands the answers to
   the cell's respondents, ordered by a latent attitude where the item has a
   loading (so that, for instance, recommendation correlates with the soft
   values);
4. turns coded open answers into raw verbatims with realistic variants.

Everything is driven by one seeded ``numpy`` generator per wave, so the same
model gives the same files, byte for byte.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Project, Question
from pipeline.errors import ConfigError, did_you_mean, preview
from pipeline.load import MISSING, Wave
from pipeline.weight import weight_wave
from pipeline.yamlio import read_yaml

log = logging.getLogger(__name__)

JOINERS = (", ", " eller ", " och ", ", annars ", " i första hand, sen ")


# --------------------------------------------------------------------------- small numeric helpers


def unround(values: dict[Any, float], total: float = 100.0) -> dict[Any, float]:
    """Spread the gap to ``total`` evenly, so each value stays within its rounding interval when possible."""
    gap = total - sum(values.values())
    if not values:
        return {}
    step = gap / len(values)
    return {k: max(v + step, 0.0) for k, v in values.items()}


def _largest_remainder(expected: np.ndarray, total: int) -> np.ndarray:
    floor: np.ndarray = np.floor(expected).astype(int)
    rest = total - int(floor.sum())
    if rest > 0:
        order = np.argsort(-(expected - floor), kind="stable")
        floor[order[:rest]] += 1
    elif rest < 0:
        order = np.argsort(expected - floor, kind="stable")
        for i in order:
            if rest == 0:
                break
            if floor[i] > 0:
                floor[i] -= 1
                rest += 1
    return floor


def points_from_bands(bands: dict[str, float], mean: float) -> dict[int, float]:
    """Return a 1–10 distribution (plus 99) whose bands match ``bands`` and whose mean (excl. 99) is ``mean``."""
    bands = unround({k: float(v) for k, v in bands.items()})
    dk = bands.pop("99", 0.0)
    if "5-8" in bands:
        s = bands.pop("5-8")
        fixed = sum(b * (int(k.split("-")[0]) + 0.5) for k, b in bands.items())
        base = 100.0 - dk
        # choose the 5-6 share x so that band midpoints give the mean: fixed + 5.5x + 7.5(s-x) = mean*base
        x = (fixed + 7.5 * s - mean * base) / 2.0
        x = float(np.clip(x, 0.0, s))
        bands["5-6"], bands["7-8"] = x, s - x
    lows = {k: int(k.split("-")[0]) for k in bands}
    total = sum(bands.values())
    f = mean - sum(bands[k] * lows[k] for k in bands) / total
    f = float(np.clip(f, 0.02, 0.98))
    points: dict[int, float] = {}
    for k, b in bands.items():
        points[lows[k]] = b * (1 - f)
        points[lows[k] + 1] = b * f
    if dk:
        points[99] = dk
    return points


def points_from_top_box(top: float, dont_know: float, mean: float) -> dict[int, float]:
    """1–10 distribution with share 7–10 = ``top`` (of all), 99 = ``dont_know`` and mean (excl. 99) ``mean``."""
    answered = 100.0 - dont_know
    tau = top / answered

    def dist(theta: float) -> np.ndarray:
        k = np.arange(1, 11, dtype=float)
        e = np.exp(theta * k)
        low, high = e[:6] / e[:6].sum() * (1 - tau), e[6:] / e[6:].sum() * tau
        return np.concatenate([low, high])

    lo, hi = -5.0, 5.0
    for _ in range(200):
        mid = (lo + hi) / 2
        m = float((dist(mid) * np.arange(1, 11)).sum())
        lo, hi = (mid, hi) if m < mean else (lo, mid)
    p = dist((lo + hi) / 2) * answered
    out = {i + 1: float(p[i]) for i in range(10)}
    out[99] = dont_know
    return out


def points_from_agreement(agree: float, dont_know: float) -> dict[int, float]:
    """1–5 distribution with 4–5 = ``agree`` and 99 = ``dont_know`` (percent of all)."""
    rest = 100.0 - agree - dont_know
    return {5: 0.55 * agree, 4: 0.45 * agree, 3: 0.55 * rest, 2: 0.28 * rest, 1: 0.17 * rest, 99: dont_know}


# --------------------------------------------------------------------------- the wave builder


@dataclass
class _Cells:
    names: list[str]  # "Man 18-29", ...
    sex: list[str]
    age: list[str]


class WaveBuilder:
    """Builds one synthetic wave: demographics, weights and every answer column."""

    def __init__(self, project: Project, model: dict[str, Any], year: int) -> None:
        self.project = project
        self.model = model
        self.year = year
        self.rng = np.random.default_rng([int(model.get("seed", 0)), year])
        self.columns: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- demographics and weights

    def demographics(self) -> None:
        demo = self.project.codebook.demographics
        n = int(self.model["waves"][self.year])
        sexes, ages = demo.categories("sex"), demo.categories("age_group")
        sex_age = self.project.targets.years[self.year].sex_age
        assert sex_age is not None  # check_model: every wave of the model has sex × age targets
        skew = self.model["panel_skew"]
        names, shares = [], []
        for s in sexes:
            for a in ages:
                names.append(f"{s} {a}")
                shares.append(sex_age[s][a] * float(skew[s][a]))
        shares = np.array(shares) / np.sum(shares)
        counts = _largest_remainder(shares * n, n)
        self.cells = _Cells(names, [x.split(" ")[0] for x in names], [x.split(" ")[1] for x in names])
        cell = np.repeat(np.arange(len(names)), counts)
        self.rng.shuffle(cell)
        self.cell = cell
        self.n = n
        age_years = np.empty(n, dtype=int)
        for ci in range(len(names)):
            group = next(g for g in demo.age_groups if g.name == self.cells.age[ci])
            members = np.flatnonzero(cell == ci)
            hi = group.max if group.max is not None else 92
            span = np.arange(group.min, hi + 1)
            p = np.ones(len(span)) if group.max is not None else np.exp(-(span - group.min) / 12.0)
            age_years[members] = self.rng.choice(span, size=len(members), p=p / p.sum())
        region_names = demo.categories("region")  # none: a survey without region
        reg_p = np.array([float(self.model["regions"][r]) for r in region_names])
        region = self.rng.choice(len(region_names), size=n, p=reg_p / reg_p.sum()) if region_names else np.full(n, -1)
        self.sex_codes = np.array([next(c.code for c in demo.sex if c.name == self.cells.sex[ci]) for ci in cell])
        self.age_years = age_years
        self.region_codes = np.array([demo.region[r].code for r in region]) if region_names else None
        ids = self.rng.choice(np.arange(100000, 1000000), size=n, replace=False)
        self.ids = np.array([f"{self.year % 100:02d}{i}" for i in ids])
        latent = self.model.get("latent", {})
        shift = np.array([
            float(latent.get("sex", {}).get(self.cells.sex[c], 0)) + float(latent.get("age_group", {}).get(self.cells.age[c], 0))
            for c in range(len(names))
        ])
        self.eta = self.rng.standard_normal(n) + shift[cell]

        frame = pd.DataFrame(
            {
                "respondent_id": self.ids,
                "sex": pd.Categorical.from_codes([sexes.index(self.cells.sex[c]) for c in cell], categories=pd.Index(sexes)),
                "age_group": pd.Categorical.from_codes([ages.index(self.cells.age[c]) for c in cell], categories=pd.Index(ages)),
                **({"region": pd.Categorical.from_codes(region, categories=pd.Index(region_names))} if region_names else {}),
                "age": age_years.astype(float),
                "design_weight": np.ones(n),
            }
        )
        wave = Wave(year=self.year, path=Path(f"<synthetic {self.year}>"), sha256="", frame=frame)
        design = weight_wave(self.project, wave)
        self.w = design.weights
        self.cell_w = np.array([self.w[cell == c][0] if (cell == c).any() else 0.0 for c in range(len(names))])

    # ---------------------------------------------------------------- effects

    def _beta(self, effects: dict[Any, Any] | None) -> np.ndarray:
        """Ordinal shift per cell from an effects block (sex, age_group, cells, waves.<year>)."""
        beta = np.zeros(len(self.cells.names))
        if not effects:
            return beta
        blocks = [effects]
        wave_block = (effects.get("waves") or {}).get(self.year)
        if wave_block:
            blocks.append(wave_block)
        for block in blocks:
            for c in range(len(beta)):
                beta[c] += float(block.get("sex", {}).get(self.cells.sex[c], 0.0))
                beta[c] += float(block.get("age_group", {}).get(self.cells.age[c], 0.0))
                beta[c] += float(block.get("cells", {}).get(self.cells.names[c], 0.0))
        return beta

    def _factor(self, block: dict[Any, Any] | None) -> np.ndarray:
        f = np.ones(len(self.cells.names))
        if not block:
            return f
        for c in range(len(f)):
            f[c] *= float(block.get("sex", {}).get(self.cells.sex[c], 1.0))
            f[c] *= float(block.get("age_group", {}).get(self.cells.age[c], 1.0))
            f[c] *= float(block.get("cells", {}).get(self.cells.names[c], 1.0))
        return f

    # ---------------------------------------------------------------- allocation primitives

    def allocate(
        self,
        domain: np.ndarray,
        targets: list[float],
        seeds: np.ndarray | None = None,
        pins: dict[tuple[int, int], float] | None = None,
    ) -> np.ndarray:
        """Counts per (cell, category) within ``domain`` whose weighted totals meet ``targets`` (percent)."""
        ncell, k = len(self.cells.names), len(targets)
        n_c = np.bincount(self.cell[domain], minlength=ncell).astype(float)
        omega = n_c * self.cell_w
        t = np.asarray(targets, dtype=float)
        t = t / t.sum() * omega.sum()
        seeds = np.ones((ncell, k)) if seeds is None else seeds
        m = seeds / seeds.sum(axis=1, keepdims=True) * omega[:, None]
        fixed = np.zeros((ncell, k), dtype=bool)
        for (c, j), share in (pins or {}).items():
            m[c, j] = omega[c] * share
            fixed[c, j] = True
        for _ in range(500):
            free_row = np.where(fixed, 0, m).sum(axis=1)
            need_row = omega - np.where(fixed, m, 0).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(free_row > 0, need_row / free_row, 0.0)
            m = np.where(fixed, m, m * r[:, None])
            free_col = np.where(fixed, 0, m).sum(axis=0)
            need_col = t - np.where(fixed, m, 0).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(free_col > 0, np.maximum(need_col, 0) / free_col, 0.0)
            m = np.where(fixed, m, m * s[None, :])
            if np.abs(m.sum(axis=1) - omega).max() < 1e-9 and np.abs(m.sum(axis=0) - t).max() < 1e-6:
                break
        counts = np.zeros((ncell, k), dtype=int)
        for c in range(ncell):
            if n_c[c] > 0:
                counts[c] = _largest_remainder(m[c] / omega[c] * n_c[c], int(n_c[c]))
        return self._polish(counts, t, fixed)

    def _polish(self, counts: np.ndarray, t: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """Move single respondents between categories within cells while that brings weighted totals closer."""
        w = self.cell_w
        for _ in range(10000):
            err = (counts * w[:, None]).sum(axis=0) - t
            best: tuple[float, tuple[int, int, int] | None] = (0.0, None)
            over = np.argsort(-err)[:3]
            under = np.argsort(err)[:3]
            for a in over:
                for b in under:
                    if a == b:
                        continue
                    for c in range(len(w)):
                        if counts[c, a] == 0 or fixed[c, a] or fixed[c, b]:
                            continue
                        gain = err[a] ** 2 + err[b] ** 2 - (err[a] - w[c]) ** 2 - (err[b] + w[c]) ** 2
                        if gain > best[0] + 1e-12:
                            best = (gain, (c, a, b))
            if best[1] is None:
                break
            c, a, b = best[1]
            counts[c, a] -= 1
            counts[c, b] += 1
        return counts

    def select_exact(self, domain: np.ndarray, k: int, target_weight: float, beta: np.ndarray | None = None) -> np.ndarray:
        """Pick exactly ``k`` respondents of ``domain`` whose weights sum as close as possible to ``target_weight``."""
        ncell = len(self.cells.names)
        n_c = np.bincount(self.cell[domain], minlength=ncell)
        pref = n_c * np.exp(beta if beta is not None else np.zeros(ncell))
        if k > int(n_c.sum()):
            raise ConfigError(f"synth: wave {self.year}: cannot pick {k} respondents out of {int(n_c.sum())}")
        kc = np.minimum(_largest_remainder(pref / pref.sum() * k, k), n_c)
        while kc.sum() < k:
            room = np.flatnonzero(kc < n_c)
            kc[room[np.argmax(pref[room])]] += 1
        w = self.cell_w
        for _ in range(10000):
            err = float((kc * w).sum() - target_weight)
            best: tuple[float, tuple[int, int] | None] = (abs(err), None)
            for a in range(ncell):
                if kc[a] == 0:
                    continue
                for b in range(ncell):
                    if a == b or kc[b] >= n_c[b]:
                        continue
                    new = abs(err - w[a] + w[b])
                    if new < best[0] - 1e-12:
                        best = (new, (a, b))
            if best[1] is None:
                break
            a, b = best[1]
            kc[a] -= 1
            kc[b] += 1
        chosen = np.zeros(self.n, dtype=bool)
        for c in range(ncell):
            members = np.flatnonzero(domain & (self.cell == c))
            if kc[c]:
                chosen[self.rng.choice(members, size=int(kc[c]), replace=False)] = True
        return chosen

    def assign(self, domain: np.ndarray, counts: np.ndarray, codes: list[int], scores: np.ndarray | None) -> np.ndarray:
        """Hand the allocated codes to the domain's respondents, cell by cell (by score if given)."""
        out = np.full(self.n, MISSING, dtype=np.int64)
        for c in range(len(self.cells.names)):
            members = np.flatnonzero(domain & (self.cell == c))
            if len(members) == 0:
                continue
            if scores is None:
                members = self.rng.permutation(members)
            else:
                members = members[np.argsort(scores[members], kind="stable")]
            values = np.repeat(codes, counts[c])
            out[members] = values
        return out

    def _scores(self, loading: float) -> np.ndarray:
        scores: np.ndarray = loading * self.eta + self.rng.standard_normal(self.n)
        return scores

    # ---------------------------------------------------------------- question kinds

    def ordinal(
        self,
        domain: np.ndarray,
        dist: dict[int, float],
        effects: dict[Any, Any] | None,
        loading: float = 0.0,
        dk_count: int | None = None,
        dk_code: int = 99,
        fixed_counts: dict[int, int] | None = None,
    ) -> np.ndarray:
        """Answer codes for an ordered question (1..k, optional 99) with weighted shares ``dist``."""
        dist = unround({int(k): float(v) for k, v in dist.items()})
        out = np.full(self.n, MISSING, dtype=np.int64)
        rest = domain.copy()
        total_w = float(self.w[domain].sum())
        for code, count in (fixed_counts or {}).items():
            share = dist.pop(code)
            beta = self._beta(effects) * (1 if code == max(dist.keys() | {code}) else -1)
            chosen = self.select_exact(rest, int(count), share / 100 * total_w, beta)
            out[chosen] = code
            rest &= ~chosen
        if dk_code in dist:
            share = dist.pop(dk_code)
            if dk_count is not None:
                chosen = self.select_exact(rest, dk_count, share / 100 * total_w)
            else:
                counts = self.allocate(rest, [share, sum(dist.values())])
                pick = self.assign(rest, counts, [1, 0], None)
                chosen = pick == 1
            out[chosen] = dk_code
            rest &= ~chosen
        codes = sorted(dist)
        if not codes:
            return out
        z = np.linspace(-1, 1, len(codes)) if len(codes) > 1 else np.zeros(1)
        seeds = np.exp(self._beta(effects)[:, None] * z[None, :])
        counts = self.allocate(rest, [dist[c] for c in codes], seeds)
        scores = self._scores(loading) if loading else None
        values = self.assign(rest, counts, codes, scores)
        out[rest] = values[rest]
        return out

    def nominal(
        self,
        domain: np.ndarray,
        dist: dict[Any, Any],
        factors: dict[Any, Any] | None,
        pins: dict[Any, Any] | None = None,
        cell_shares: dict[Any, Any] | None = None,
    ) -> np.ndarray:
        """Category positions (index into ``dist``'s keys) for a nominal question; -1 outside domain."""
        keys = list(dist)
        seeds = np.ones((len(self.cells.names), len(keys)))
        for j, key in enumerate(keys):
            seeds[:, j] *= float(dist[key])
        shared = []
        for key, spec in (cell_shares or {}).items():
            per_cell = spec.get(self.year)
            if per_cell:
                j = keys.index(key)
                seeds[:, j] = [float(per_cell[name]) for name in self.cells.names]
                shared.append(j)
        if shared:
            # the other answers fill what the given cell shares leave, in their usual proportions
            others = [j for j in range(len(keys)) if j not in shared]
            room = 100.0 - seeds[:, shared].sum(axis=1)
            seeds[:, others] *= (room / seeds[:, others].sum(axis=1))[:, None]
        for key, spec in (factors or {}).items():
            codes = spec.get("codes", [key]) if isinstance(spec, dict) else [key]
            block = spec.get(self.year, spec) if isinstance(spec, dict) else None
            f = self._factor(block)
            for code in codes:
                if code in keys:
                    seeds[:, keys.index(code)] *= f
        pin_cells = {}
        for key, spec in (pins or {}).items():
            for name, share in (spec.get(self.year) or {}).items():
                pin_cells[(self.cells.names.index(name), keys.index(key))] = float(share) / 100
        counts = self.allocate(domain, [float(dist[k]) for k in keys], seeds, pin_cells)
        return self.assign(domain, counts, list(range(len(keys))), None)

    def binary(self, domain: np.ndarray, share: float, factor: np.ndarray | None, scores: np.ndarray | None) -> np.ndarray:
        """True for the respondents of ``domain`` who pick an item (weighted share ``share`` percent)."""
        seeds = np.ones((len(self.cells.names), 2))
        if factor is not None:
            seeds[:, 1] = factor
        counts = self.allocate(domain, [100 - share, share], seeds)
        values = self.assign(domain, counts, [0, 1], scores)
        picked: np.ndarray = values == 1
        return picked

    # ---------------------------------------------------------------- verbatims

    def verbatims(self, frame_key: str, keys: list[str], positions: np.ndarray, answered: np.ndarray) -> np.ndarray:
        variants = self.model["verbatims"]
        own = variants[frame_key]
        out = np.full(self.n, "", dtype=object)
        second = float(self.model.get("second_mention", 0.0))
        coded_keys = [k for k in keys if k in own]
        for i in np.flatnonzero(answered):
            key = keys[positions[i]]
            pool = own.get(key) or variants[key]
            text = pool[self.rng.integers(len(pool))]
            if key in own and self.rng.random() < second:
                other = coded_keys[self.rng.integers(len(coded_keys))]
                if other != key:
                    extra = own[other][self.rng.integers(len(own[other]))]
                    text = text + JOINERS[self.rng.integers(len(JOINERS))] + extra.lower()
            out[i] = text
        return out


# --------------------------------------------------------------------------- per-question generation


def _question_model(model: dict[str, Any], qid: str) -> dict[str, Any]:
    try:
        spec: dict[str, Any] = model["questions"][qid]
    except KeyError:
        raise ConfigError(f"synth model has no block for question {qid!r}") from None
    return spec


def _routed(b: WaveBuilder, q: Question) -> np.ndarray:
    if q.routing is None:
        return np.ones(b.n, dtype=bool)
    return np.isin(b.columns[q.routing.column], q.routing.codes)


def _blank_out(b: WaveBuilder, domain: np.ndarray, answered: int | None) -> np.ndarray:
    """Return the domain minus randomly chosen non-respondents so that ``answered`` remain."""
    if answered is None:
        return domain
    members = np.flatnonzero(domain)
    drop = len(members) - int(answered)
    if drop < 0:
        raise ConfigError(f"synth: wave {b.year}: {answered} answers asked for but only {len(members)} respondents were asked")
    out = domain.copy()
    if drop:
        out[b.rng.choice(members, size=drop, replace=False)] = False
    return out


def generate_question(b: WaveBuilder, q: Question) -> None:
    spec = _question_model(b.model, q.id)
    year = b.year
    domain = _routed(b, q)
    dk_code = b.project.codebook.dont_know_code
    if q.type == "open":
        blanks = (spec.get("blanks") or {}).get(year)
        if blanks:
            domain = _blank_out(b, domain, int(domain.sum()) - int(blanks))
        targets = dict(spec["targets"][year])
        rest = 100.0 - sum(targets.values())
        split = b.model.get("open_rest", {"uncoded": 0.5, "dont_know": 0.5})
        targets["uncoded"] = rest * float(split["uncoded"])
        targets["dont_know"] = rest * float(split["dont_know"])
        keys = list(targets)
        positions = b.nominal(domain, targets, spec.get("factors"), spec.get("pins"), spec.get("cell_shares"))
        frame_key = q.frame_for(year).split("@")[0]
        b.columns[q.id] = b.verbatims(frame_key, keys, positions, domain)
        return
    if q.type == "multi":
        _generate_multi(b, q, spec, domain)
        return
    if q.type in ("single", "scale"):
        if "bands" in spec:
            dist = points_from_bands(spec["bands"][q.id], float(spec["mean"][q.id]))
            dk_n = int(domain.sum()) - int(spec["n"][q.id]) if "n" in spec else None
            b.columns[q.id] = b.ordinal(domain, dist, spec.get("effects"), float(spec.get("loading", 0)), dk_n, dk_code)
            return
        dist = spec["targets"][year]
        if "factors" in spec:
            keys = list(dist)
            pos = b.nominal(domain, {int(k): v for k, v in dist.items()}, {int(k): v for k, v in spec["factors"].items()})
            out = np.full(b.n, MISSING, dtype=np.int64)
            out[domain] = np.array(keys, dtype=np.int64)[pos[domain]]
            b.columns[q.id] = out
            return
        fixed = (spec.get("counts") or {}).get(year)
        b.columns[q.id] = b.ordinal(domain, dist, spec.get("effects"), _loading(spec, year), None, dk_code, fixed)
        return
    # grid
    domain = _blank_out(b, domain, (spec.get("answered") or {}).get(year))
    for item in q.items:
        if "bands" in spec:
            dist = points_from_bands(spec["bands"][item.id], float(spec["mean"][item.id]))
            dk_n = int(domain.sum()) - int(spec["n"][item.id]) if "n" in spec else None
            b.columns[item.id] = b.ordinal(domain, dist, spec.get("effects"), float(spec.get("loading", 0)), dk_n, dk_code)
        elif "top_box" in spec:
            idx = [i.id for i in q.items].index(item.id)
            dist = points_from_top_box(float(spec["top_box"][item.id]), float(spec["dont_know"][item.id]), float(spec["means"][idx]))
            b.columns[item.id] = b.ordinal(domain, dist, spec.get("effects"), float(spec.get("loading", 0)), None, dk_code)
        elif "agree" in spec:
            dks = spec.get("dont_know", {})
            dk = dks.get(item.id, dks.get("default", 0))
            dk = float(dk[year] if isinstance(dk, dict) else dk)
            dist = points_from_agreement(float(spec["agree"][item.id][year]), dk)
            b.columns[item.id] = b.ordinal(domain, dist, spec.get("effects"), _item_loading(spec, item.id, year), None, dk_code)
        else:
            raw = spec["items"][item.id][year]
            dist = {int(k): float(v) for k, v in raw.items()}
            if len(dist) == 1 and q.categories and len(q.categories) == 2:
                (code, share), = dist.items()
                other = next(c.code for c in q.categories if c.code != code)
                dist[other] = 100.0 - share
            split = spec.get("split")
            if split and split["item"] == item.id and year in split["counts"]:
                b.columns[item.id] = _split_item(b, domain, dist, split, spec, year, dk_code)
            else:
                b.columns[item.id] = b.ordinal(domain, dist, spec.get("effects"), 0.0, None, dk_code)


def _loading(spec: dict[str, Any], year: int) -> float:
    value = spec.get("loading", 0.0)
    return float(value.get(year, 0.0) if isinstance(value, dict) else value)


def _item_loading(spec: dict[str, Any], item_id: str, year: int) -> float:
    for group in (spec.get("loadings") or {}).values():
        if item_id in group["items"]:
            return float(group[year])
    return _loading(spec, year)


def _scaled(dist: dict[int, float]) -> dict[int, float]:
    """The shares ``dist`` scaled to sum to 100, keeping their ratios."""
    total = sum(dist.values())
    return {c: v * 100.0 / total for c, v in dist.items()} if total > 0 else dict(dist)


def _split_item(
    b: WaveBuilder, domain: np.ndarray, dist: dict[int, float], split: dict[str, Any], spec: dict[str, Any], year: int, dk_code: int
) -> np.ndarray:
    """An item whose codes ``split['codes']`` must hold an exact unweighted count (a published base)."""
    codes_in = [int(c) for c in split["codes"]]
    dist = unround(dist)
    share_in = sum(dist[c] for c in codes_in)
    total_w = float(b.w[domain].sum())
    inside = b.select_exact(domain, int(split["counts"][year]), share_in / 100 * total_w, b._beta(spec.get("effects")))
    out = np.full(b.n, MISSING, dtype=np.int64)
    # each part's shares are scaled to 100 here: ``ordinal`` un-rounds a distribution by spreading its gap
    # to 100 evenly, which on a part (e.g. 6 and 2 of the 8 % outside) would turn 6:2 into 52:48
    part_in = b.ordinal(inside, _scaled({c: dist[c] for c in codes_in}), spec.get("effects"))
    outside = domain & ~inside
    part_out = b.ordinal(outside, _scaled({c: v for c, v in dist.items() if c not in codes_in}), None, dk_code=dk_code)
    out[inside] = part_in[inside]
    out[outside] = part_out[outside]
    return out


def _generate_multi(b: WaveBuilder, q: Question, spec: dict[str, Any], domain: np.ndarray) -> None:
    year = b.year
    groups: list[tuple[np.ndarray, dict[str, float]]] = []
    if "groups" in spec:
        by = b.columns[spec["by"]]
        for code, shares in spec["groups"].items():
            groups.append((domain & (by == int(code)), {k: float(v) for k, v in shares.items()}))
    else:
        groups.append((domain, {k: float(v[year]) for k, v in spec["items"].items()}))
    out = {item.id: np.full(b.n, MISSING, dtype=np.int64) for item in q.items}
    activity = b.rng.standard_normal(b.n)
    for group, shares in groups:
        none_item = spec.get("none_item")
        chosen_none = np.zeros(b.n, dtype=bool)
        rest = group.copy()
        scale = 1.0
        if none_item:
            none_share = float(spec["none"][year])
            chosen_none = b.binary(group, none_share, None, None) & group
            rest = group & ~chosen_none
            scale = 100.0 / (100.0 - none_share)
        picks = {}
        for item_id, share in shares.items():
            factor = b._factor((spec.get("factors") or {}).get(item_id))
            scores = 0.8 * activity + b.rng.standard_normal(b.n)
            picks[item_id] = b.binary(rest, min(share * scale, 99.0), factor, scores) & rest
        _ensure_one(b, rest, picks)
        for item in q.items:
            col = out[item.id]
            col[group] = 0
            if item.id == none_item:
                col[chosen_none] = 1
            elif item.id in picks:
                col[picks[item.id]] = 1
    b.columns.update(out)


def _ensure_one(b: WaveBuilder, domain: np.ndarray, picks: dict[str, np.ndarray]) -> None:
    """Give every respondent at least one item, swapping with a same-cell respondent who has two or more."""
    names = list(picks)
    matrix = np.stack([picks[k] for k in names], axis=1)
    for i in np.flatnonzero(domain & ~matrix.any(axis=1)):
        done = False
        for j in b.rng.permutation(len(names)):
            donors = np.flatnonzero(domain & (b.cell == b.cell[i]) & matrix[:, j] & (matrix.sum(axis=1) >= 2))
            if len(donors):
                d = donors[b.rng.integers(len(donors))]
                matrix[d, j] = False
                matrix[i, j] = True
                done = True
                break
        if not done:
            matrix[i, 0] = True
    for j, k in enumerate(names):
        picks[k] = matrix[:, j]


# --------------------------------------------------------------------------- entry point


def build_wave(project: Project, model: dict[str, Any], year: int) -> pd.DataFrame:
    """Return the synthetic respondent table of ``year`` as it is written to its CSV."""
    b = WaveBuilder(project, model, year)
    b.demographics()
    asked = project.codebook.asked_in(year)
    # routing sources first (they are closed questions), then everything else in codebook order
    sources = {q.routing.column for q in asked if q.routing is not None}
    first = [q for q in asked if q.id in sources or any(i.id in sources for i in q.items)]
    for q in first + [q for q in asked if q not in first]:
        generate_question(b, q)
    data: dict[str, object] = {
        "respondent_id": b.ids,
        "sex": b.sex_codes,
        "age": b.age_years,
        **({"region": b.region_codes} if b.region_codes is not None else {}),
    }
    for q in asked:
        for col in q.columns:
            values = b.columns[col]
            if q.type == "open":
                data[col] = values
            else:
                na: Any = pd.NA  # numpy's stubs do not admit pandas' NA as a fill value
                data[col] = pd.array(np.where(values == MISSING, na, values), dtype="Int64")
    frame = pd.DataFrame(data)
    order = b.rng.permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


GENERATORS = ("panel", "ratings")


def load_model(path: Path) -> dict[str, Any]:
    """Read a synth model: ``waves`` and, for the default ``generator: panel``, ``questions``."""
    model = read_yaml(path)
    if not isinstance(model, dict) or "waves" not in model:
        raise ConfigError(f"{path}: expected a synth model with 'waves' (and 'questions', or 'generator: ratings')")
    generator = model.get("generator", "panel")
    if generator not in GENERATORS:
        raise ConfigError(f"{path}: generator: unknown generator {generator!r}{did_you_mean(str(generator), GENERATORS)}; "
                          f"use one of {', '.join(GENERATORS)}")
    if generator == "panel" and "questions" not in model:
        raise ConfigError(f"{path}: expected a synth model with 'waves' and 'questions'")
    return model


def check_model(project: Project, model: dict[str, Any], model_path: Path) -> None:
    """The model fits the project: each of its waves has sex × age targets to draw respondents from, and it names
    the codebook's sex, age groups and regions (one ConfigError naming the model, the year or key and the fix)."""
    targets_path = project.root / project.survey.files.targets
    years = sorted(int(y) for y in model["waves"])
    missing = [y for y in years if y not in project.targets.years]
    if missing:
        raise ConfigError(
            f"{model_path}: the synth model draws waves {preview(missing)}, which have no population targets in {targets_path} "
            f"(it has {sorted(project.targets.years)}); pass this survey's own model with --model, or add the years to targets.yaml"
        )
    for year in years:
        if project.targets.years[year].sex_age is None:
            raise ConfigError(
                f"{targets_path}: years.{year}: the synth model draws respondents by sex × age group and needs sex_age shares; "
                f"add years.{year}.sex_age, or pass a model written for this survey with --model"
            )
    demo = project.codebook.demographics
    skew = model.get("panel_skew")
    cells = [(s, a) for s in demo.categories("sex") for a in demo.categories("age_group")]
    absent = [f"{s} {a}" for s, a in cells if not isinstance(skew, dict) or not isinstance(skew.get(s), dict) or a not in skew[s]]
    if absent:
        raise ConfigError(f"{model_path}: panel_skew has no factor for {preview(absent)}; give one per sex and age group of the codebook")
    regions = model.get("regions") or {}
    absent = [r for r in demo.categories("region") if r not in regions]
    if absent:
        raise ConfigError(f"{model_path}: regions has no share for {preview(absent)}; give one per region of the codebook")


def model_years(model_path: Path) -> list[int]:
    """The wave years a population model draws."""
    model = load_model(model_path)
    return sorted(int(y) for y in model["waves"])


def synthesize(project: Project, model_path: Path, out_dir: Path, years: list[int] | None = None, scale: float = 1.0) -> list[Path]:
    """Write one file per wave of the model into ``out_dir`` and return their paths.

    The model's ``generator`` picks how: ``panel`` (the default, this module: a calibrated panel survey, CSV) or
    ``ratings`` (:mod:`pipeline.synth_ratings`: rating-style feedback, CSV or Parquet). ``scale`` draws waves of
    that fraction of the model's size (``ratings`` only; the panel model's sizes are published bases).
    """
    model = load_model(model_path)
    if model.get("generator", "panel") == "ratings":
        from pipeline.synth_ratings import synthesize_ratings

        return synthesize_ratings(project, model, model_path, out_dir, years, scale)
    if scale != 1.0:
        raise ConfigError(f"{model_path}: --scale {scale:g} applies to models with 'generator: ratings'; "
                          "this panel model's wave sizes are its published bases: drop --scale")
    check_model(project, model, model_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for year in sorted(int(y) for y in model["waves"]):
        if years and year not in years:
            continue
        frame = build_wave(project, model, year)
        path = out_dir / f"{year}.csv"
        tmp = path.with_suffix(".csv.tmp")
        frame.to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(path)
        written.append(path)
        log.info("wrote %s (%d respondents)", path, len(frame))
    return written
