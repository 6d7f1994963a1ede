"""Output names: `report.name` formatted with the wave, refused clearly when it cannot be a file name."""

from __future__ import annotations

import pytest

from pipeline.config import Project
from pipeline.errors import ConfigError, OutputError
from pipeline.report import MAX_NAME_BYTES, output_name


def named(project: Project, name: str) -> Project:
    """``project`` with ``report.name`` set to ``name``."""
    report = project.survey.report.model_copy(update={"name": name})
    return project.model_copy(update={"survey": project.survey.model_copy(update={"report": report})})


def test_name_takes_the_wave_and_english_gets_a_suffix(project):
    """'1177-{wave}' for 2022 is 1177-2022 in Swedish and 1177-2022-en in English."""
    assert output_name(project, 2022, "sv") == "1177-2022"
    assert output_name(project, 2022, "en") == "1177-2022-en"


@pytest.mark.parametrize("pattern,words", [
    ("1177-{year}", "unknown placeholder {year}; the name may use {wave} only"),
    ("1177-{0}", "cannot be formatted"),
    ("1177-{wave", "cannot be formatted"),
    ("1177-{wave:q}", "cannot be formatted"),
])
def test_unformattable_name_is_a_config_error(project, pattern, words):
    """An unknown placeholder, a positional field, an unclosed brace or a bad format spec name report.name and the fix."""
    with pytest.raises(ConfigError) as err:
        output_name(named(project, pattern), 2022, "sv")
    message = str(err.value)
    assert f"survey.yaml: report.name {pattern!r}" in message and words in message


def test_overlong_name_is_refused_before_any_file_is_written(project):
    """A name of MAX_NAME_BYTES + 1 bytes (å is 2 bytes in UTF-8) is refused; one of MAX_NAME_BYTES is taken."""
    assert output_name(named(project, "x" * (MAX_NAME_BYTES - 4) + "{wave}"), 2022, "sv") == "x" * (MAX_NAME_BYTES - 4) + "2022"
    with pytest.raises(ConfigError, match=f"is {MAX_NAME_BYTES + 1} bytes long; .* shorten report.name"):
        output_name(named(project, "å" + "x" * (MAX_NAME_BYTES - 5) + "{wave}"), 2022, "sv")


def test_name_with_a_folder_is_an_output_error(project):
    """A name that would leave the output folder is refused as before."""
    with pytest.raises(OutputError, match="not a plain file name"):
        output_name(named(project, "../{wave}"), 2022, "sv")
