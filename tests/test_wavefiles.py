"""Finding wave files: year names only; a stray copy of a wave type is refused, other files are ignored."""

from __future__ import annotations

import re

import pytest

from pipeline.errors import DataError
from pipeline.wavefiles import discover_waves


def test_other_files_hidden_files_and_office_lock_files_are_ignored(tmp_path):
    """README.md, notes.txt, .DS_Store and Excel's ~$2022.xlsx beside 2022.xlsx leave one wave."""
    for name in ("2022.xlsx", "README.md", "notes.txt", ".DS_Store", "~$2022.xlsx", ".2021.csv"):
        (tmp_path / name).write_bytes(b"x")
    assert discover_waves(tmp_path) == {2022: tmp_path / "2022.xlsx"}


@pytest.mark.parametrize("name", ["2022 (1).csv", "2022_old.parquet", "wave2023.sav", "2022.1.xlsx"])
def test_wave_type_file_not_named_by_a_year_is_refused(tmp_path, name):
    """A file of a wave type whose name is not a year alone is named with the fix."""
    (tmp_path / "2022.csv").write_bytes(b"x")
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(DataError, match=re.escape(f"{name}: not a wave file name: ") + ".*rename it"):
        discover_waves(tmp_path)


def test_folder_with_a_wave_suffix_is_not_a_stray_file(tmp_path):
    """A sub-folder called `old.csv` is no wave file and is left alone."""
    (tmp_path / "2022.csv").write_bytes(b"x")
    (tmp_path / "old.csv").mkdir()
    assert discover_waves(tmp_path) == {2022: tmp_path / "2022.csv"}
