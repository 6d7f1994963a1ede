"""YAML reading: aliases are bounded, self-referring aliases and unknown tags are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.yamlio import MAX_EXPANDED_NODES, read_yaml


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path):
    """A mapping reused by alias and by a merge key (`<<: *base`) loads as written out."""
    data = read_yaml(_yaml(tmp_path, "base: &b {x: 1}\nother: {<<: *b, y: 2}\nlist: [*b, *b]\n"))
    assert data == {"base": {"x": 1}, "other": {"x": 1, "y": 2}, "list": [{"x": 1}, {"x": 1}]}


def test_aliases_up_to_the_limit_load_and_past_it_are_refused(tmp_path):
    """A list of 999 values (1,000 nodes) used 98 times by alias loads (99,004 nodes); used 100 times (100,001) it is refused there."""
    assert MAX_EXPANDED_NODES == 100_000
    values = "[" + ", ".join(["1"] * 999) + "]"
    under = read_yaml(_yaml(tmp_path, f"a: &a {values}\nb: [" + ", ".join(["*a"] * 98) + "]\n"))
    assert len(under["b"]) == 98 and len(under["b"][0]) == 999
    with pytest.raises(ConfigError, match=r"x.yaml: line 2, column 4: the YAML expands to more than 100,000 values through its aliases"):
        read_yaml(_yaml(tmp_path, f"a: &a {values}\nb: [" + ", ".join(["*a"] * 100) + "]\n"))


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {b: *a}\n"])
def test_alias_inside_its_own_anchor_is_refused(tmp_path, text):
    """A list or mapping that contains itself never ends when written out: refused, naming the place."""
    with pytest.raises(ConfigError, match=r"x.yaml: line 1, column 4: an alias \(\*name\) refers to a node that contains it"):
        read_yaml(_yaml(tmp_path, text))


@pytest.mark.parametrize(("tag", "shown"), [("!!python/object:os.system", "!!python/object:os.system"), ("!include", "!include")])
def test_unknown_tag_is_named_as_a_tag(tmp_path, tag, shown):
    """A Python object tag or an unknown local tag is an unknown or unsafe tag, not a syntax error about quotes."""
    with pytest.raises(ConfigError, match=rf"line 2, column 4: unknown or unsafe YAML tag '{shown}'; .*remove the tag$"):
        read_yaml(_yaml(tmp_path, f"ok: 1\nb: {tag} {{}}\n"))
