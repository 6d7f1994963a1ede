"""The kind registries and the check of every slide's metric and chart options when the config loads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.charts import CHARTS
from pipeline.config import check_project, load_project
from pipeline.errors import ConfigError
from pipeline.metrics import METRICS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    """A copy of the shipped config (and the strings file it points to) to edit."""
    shutil.copytree(ROOT / "config" / "1177", tmp_path / "config")
    return tmp_path / "config"


def edit(config: Path, slide_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to slide ``slide_id`` of the copy's deck.yaml."""
    path = config / "deck.yaml"
    deck = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(s for s in deck["slides"] if s["id"] == slide_id))
    path.write_text(yaml.safe_dump(deck, allow_unicode=True, sort_keys=False), encoding="utf-8")


def chart_options(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """A slide edit that sets (or, with None, removes) options of the slide's first chart."""
    def change(slide: dict[str, Any]) -> None:
        options = slide["charts"][0].setdefault("options", {})
        for key, value in changes.items():
            if value is None:
                options.pop(key, None)
            else:
                options[key] = value
    return change


def metric(name: str = "main", **changes: Any) -> Callable[[dict[str, Any]], None]:
    """A slide edit that sets keys of one of the slide's metrics."""
    def change(slide: dict[str, Any]) -> None:
        slide["metrics"][name].update(changes)
    return change


def test_every_kind_declares_a_frozen_model_that_refuses_unknown_keys():
    """Both families register their kinds with frozen options models with unknown keys forbidden."""
    assert METRICS.names() == ["change", "coded", "drivers", "index", "multi", "nps", "reach", "scale", "share", "trend", "weighting"]
    assert len(CHARTS.names()) == 8
    for kind in METRICS.kinds() + CHARTS.kinds():
        assert kind.options.model_config["frozen"] and kind.options.model_config["extra"] == "forbid", kind.name


def test_shipped_deck_has_no_option_problems():
    """The shipped config loads with every option accepted."""
    problems = check_project(ROOT / "config" / "1177").problems
    assert problems == []


def test_misspelt_chart_option_names_slide_chart_kind_key_and_the_nearest_key(config):
    """`topp: 10` on S13's chart: one line with file, slide, chart, kind, key, the nearest key and the allowed keys."""
    edit(config, "S13", chart_options(top=None, topp=10))
    with pytest.raises(ConfigError) as err:
        load_project(config)
    line = str(err.value)
    assert line.startswith(
        f"{config / 'deck.yaml'}: slide S13, chart 1 (grouped_bars): unknown option 'topp' (did you mean 'top'?); allowed: "
    )
    assert "sort" in line.split("allowed: ")[1] and "\n" not in line


def test_value_outside_a_fixed_set_names_the_allowed_values(config):
    """`sort: sideways` names newest, fixed and mean."""
    edit(config, "S24", chart_options(sort="sideways"))
    with pytest.raises(ConfigError, match="slide S24, chart 1 \\(grouped_bars\\): option 'sort': 'sideways' is not allowed; "
                                          "allowed values: newest, fixed, mean$"):
        load_project(config)


def test_misspelt_metric_measure_is_refused_with_the_allowed_measures(config):
    """`measures: [agree, meen]` on a scale metric names the scale's measures and the near miss."""
    edit(config, "S24", metric(options={"measures": ["agree", "meen"]}))
    with pytest.raises(ConfigError, match="slide S24, metric 'main' \\(scale\\): option 'measures': 'meen' is not allowed "
                                          "\\(did you mean 'mean'\\?\\); allowed values: distribution, mean, top_box, agree$"):
        load_project(config)


def test_chart_measure_must_be_one_its_metric_produces(config):
    """A chart's `measure: meen` is checked against what the slide's scale metric (agree, mean) produces."""
    edit(config, "S24", chart_options(measure="meen"))
    with pytest.raises(ConfigError, match="slide S24, chart 1 \\(grouped_bars\\): option 'measure': 'meen' is not a measure "
                                          "of metric 'main' \\(scale\\) \\(did you mean 'mean'\\?\\); its measures: agree, mean$"):
        load_project(config)


def test_unknown_kinds_get_a_did_you_mean(config):
    """Misspelt metric and chart kinds name the nearest kind."""
    edit(config, "S13", lambda slide: slide["charts"][0].update(kind="groupd_bars"))
    edit(config, "S24", metric(kind="scales"))
    problems = check_project(config).problems
    assert any(p.startswith(f"{config / 'deck.yaml'}: slide S13, chart 1: unknown chart kind 'groupd_bars' "
                            "(did you mean 'grouped_bars'?); kinds: change_bars, ") for p in problems)
    assert any(p.startswith(f"{config / 'deck.yaml'}: slide S24, metric 'main': unknown metric kind 'scales' "
                            "(did you mean 'scale'?); kinds: change, ") for p in problems)


def test_check_project_lists_every_option_problem(config):
    """check_project collects all problems (three here, on three slides); load_project stops at the first and counts them."""
    edit(config, "S13", chart_options(top=None, topp=10))
    edit(config, "S24", chart_options(sort="sideways"))
    edit(config, "S39", lambda slide: slide["metrics"]["main"]["options"].update(mode="sideways"))
    problems = check_project(config).problems
    assert [p.split(": ")[1] for p in problems] == ["slide S13, chart 1 (grouped_bars)", "slide S24, chart 1 (grouped_bars)",
                                                   "slide S39, metric 'main' (change)"]
    with pytest.raises(ConfigError, match="\\(3 problems in this file; `survey-deck validate` lists them all\\)$"):
        load_project(config)


def test_options_of_the_inner_metric_are_checked_too(config):
    """`of_options` of a change metric are checked against the `of` kind's model."""
    edit(config, "S39", lambda slide: slide["metrics"]["main"]["options"]["of_options"].update(categorie=["1177"]))
    problems = check_project(config).problems
    assert problems == [f"{config / 'deck.yaml'}: slide S39, metric 'main' (change): of_options (coded): unknown option "
                        "'categorie' (did you mean 'categories'?); allowed: measure, categories, nets, uncoded, dont_know"]


def test_text_options_may_be_given_per_language(config):
    """A text option as {sv, en} is accepted; a wrong type in one language is reported once."""
    edit(config, "S13", chart_options(label_width={"sv": 30, "en": "wide"}))
    problems = check_project(config).problems
    assert len(problems) == 1 and "slide S13, chart 1 (grouped_bars): option 'label_width': " in problems[0]
    assert "(got 'wide')" in problems[0]


def test_checking_the_options_loads_no_pandas_numpy_or_matplotlib():
    """load_project checks every option without importing the heavy libraries (the up-to-date check stays fast)."""
    code = ("import sys, pathlib; from pipeline.config import load_project; load_project(pathlib.Path(sys.argv[1])); "
            "sys.stdout.write(' '.join(m for m in ('pandas', 'numpy', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "config" / "1177")], capture_output=True, text=True, check=True)
    assert done.stdout == ""
