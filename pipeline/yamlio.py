"""Safe YAML reading with errors that name the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError


# libyaml's parser when PyYAML was built with it (5x faster on the config); same safe constructors
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a key that appears twice in one mapping (YAML would silently keep the last)."""


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: yaml.Mark, second: yaml.Mark):
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, yaml.Mark] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden on purpose
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise _DuplicateKey(key, seen[key], key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Return the parsed content of a YAML file, read with the safe loader.

    A missing file, a file that is not UTF-8, a YAML syntax error or a key
    given twice raises :class:`ConfigError` with the file, line and column.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it or point --config at the right folder") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{path}: line {dup.second.line + 1}, column {dup.second.column + 1}: key {dup.key!r} appears twice in the same "
            f"mapping (first at line {dup.first.line + 1}); YAML would silently use the last one, so keep one"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = (exc.problem or exc.context or "syntax error").strip()
        context = ""
        if exc.context and exc.problem and exc.context_mark is not None and exc.problem_mark is not None:
            if exc.context_mark.line != exc.problem_mark.line:
                context = f" ({exc.context.strip()} that starts at line {exc.context_mark.line + 1})"
        line_text = ""
        if mark is not None:
            lines = text.splitlines()
            if 0 <= mark.line < len(lines) and lines[mark.line].strip():
                shown = lines[mark.line].strip()
                line_text = f": {shown[:80]!r}" if len(shown) <= 80 else f": {shown[:77] + '...'!r}"
        hint = "; check the quotes, brackets, colons and indentation there and on the line before"
        raise ConfigError(f"{path}: YAML syntax error at {where}{line_text}: {problem}{context}{hint}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {' '.join(str(exc).split())}") from None
