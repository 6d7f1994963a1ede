"""Safe, bounded YAML reading with errors that name the file, line and column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipeline.errors import ConfigError

# libyaml's parser when PyYAML was built with it (5x faster on the config); same safe constructors
if TYPE_CHECKING:  # mypy cannot take a base class chosen at run time; both have SafeLoader's interface
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):
    """The safe loader, refusing a key that appears twice in one mapping (YAML would silently keep the last)."""


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
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

# Aliases (`*name`) repeat a node without copying it, so a few lines can stand for a document of
# billions of nodes (an "alias bomb") that whoever walks the data expands. A config file is a few
# thousand nodes; with its aliases expanded it may hold this many, or it is refused.
MAX_EXPANDED_NODES = 100_000


class _AliasBomb(Exception):
    def __init__(self, nodes: int | None, mark: yaml.Mark | None) -> None:
        super().__init__(nodes)
        self.nodes, self.mark = nodes, mark


def _expanded_size(root: yaml.Node) -> int:
    """The number of nodes of the document with every alias expanded, stopping past :data:`MAX_EXPANDED_NODES`.

    Each distinct node is sized once (iteratively: no recursion limit on deep nesting); an alias
    that refers to a node containing itself cannot be expanded at all and is refused.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            sizes[key] = 1
            continue
        if children_done:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_EXPANDED_NODES:
                raise _AliasBomb(size, node.start_mark)
            sizes[key] = size
            continue
        if key in open_nodes:
            raise _AliasBomb(None, node.start_mark)  # reached again while its own children are being sized
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _AliasBomb(None, child.start_mark)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _load(text: str) -> Any:
    """Parse ``text`` with :class:`_StrictLoader`, refusing an alias bomb before anything is constructed."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """Return the parsed content of a YAML file, read with the safe loader.

    A missing file, a file that is not UTF-8, a YAML syntax error, a key
    given twice, an unknown or unsafe tag (``!!python/object``) or aliases
    that expand past :data:`MAX_EXPANDED_NODES` raise :class:`ConfigError`
    with the file, line and column.
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
        return _load(text)
    except _AliasBomb as bomb:
        where = f"line {bomb.mark.line + 1}, column {bomb.mark.column + 1}: " if bomb.mark is not None else ""
        what = (
            f"the YAML expands to more than {MAX_EXPANDED_NODES:,} values through its aliases (*name)"
            if bomb.nodes is not None else "an alias (*name) refers to a node that contains it, so the YAML never ends"
        )
        raise ConfigError(f"{path}: {where}{what}; write the values out instead of repeating anchors (&name)") from None
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{path}: line {dup.second.line + 1}, column {dup.second.column + 1}: key {dup.key!r} appears twice in the same "
            f"mapping (first at line {dup.first.line + 1}); YAML would silently use the last one, so keep one"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        if isinstance(exc, yaml.constructor.ConstructorError) and "could not determine a constructor for the tag" in (exc.problem or ""):
            tag = re.sub(r"^tag:yaml\.org,2002:", "!!", (re.findall(r"'([^']*)'", exc.problem or "") or ["?"])[-1])
            raise ConfigError(
                f"{path}: {where}: unknown or unsafe YAML tag {tag!r}; config files hold plain text, numbers, lists and "
                "mappings only: remove the tag"
            ) from None
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
