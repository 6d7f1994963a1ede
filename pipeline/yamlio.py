"""Safe YAML reading with errors that name the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError


def read_yaml(path: Path) -> Any:
    """Return the parsed content of a YAML file, read with the safe loader.

    A missing file, a file that is not UTF-8, or a YAML syntax error raises
    :class:`ConfigError` with the file, line and column of the problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it or point --config at the right folder") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = (exc.problem or exc.context or "syntax error").strip()
        raise ConfigError(f"{path}: YAML syntax error at {where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None
