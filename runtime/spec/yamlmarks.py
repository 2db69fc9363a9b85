"""YAML loading that remembers where every key and item came from.

:func:`load_marked` parses YAML text with ``yaml.SafeLoader`` and returns plain data in which
every mapping is a :class:`MarkedDict` and every sequence a :class:`MarkedList`. They behave
as ``dict``/``list`` but also know the 1-based line and column of themselves, of each key and
of each value, so a diagnostic can name ``file:line:col`` for any node.

Misuse: the marked containers are only for the loader; the workflow model built from them is
immutable and holds no marks. Duplicate keys are reported through ``duplicates`` rather than
silently overwritten. Aliases and nesting are bounded (:mod:`runtime.spec.yamlcompose`), and
an integer too long to convert is a located ``T109``, not a ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from .yamlcompose import ComposeLimit, compose

__all__ = ["Mark", "MarkedDict", "MarkedList", "YamlProblem", "load_marked", "mark_of"]


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based line and column in the source text."""

    line: int
    column: int


class MarkedDict(dict[Any, Any]):
    """A ``dict`` that knows the marks of itself, its keys and its values."""

    mark: Mark
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]
    duplicates: list[tuple[Any, Mark]]


class MarkedList(list[Any]):
    """A ``list`` that knows the marks of itself and of each item."""

    mark: Mark
    item_marks: list[Mark]


@dataclass(frozen=True, slots=True)
class YamlProblem(Exception):  # an internal carrier, converted to a Diagnostic
    """The text is not valid YAML; ``mark`` is where the parser stopped."""

    message: str
    mark: Mark | None
    code: str = "T100"
    """``T100`` syntax, ``T107`` alias expansion, ``T108`` nesting, ``T109`` a huge integer."""


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    # libyaml's parser when PyYAML was built with it (about 8x faster), else the pure-Python one.
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkingLoader(_BaseLoader):
    """SafeLoader whose mappings and sequences carry marks."""


def _construct_mapping(loader: _MarkingLoader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.mark = _mark(node)
    result.key_marks = {}
    result.value_marks = {}
    result.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        if key in result:
            result.duplicates.append((key, _mark(key_node)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_marks[key] = _mark(key_node)
        result.value_marks[key] = _mark(value_node)
    return result


def _construct_sequence(loader: _MarkingLoader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.mark = _mark(node)
    result.item_marks = [_mark(child) for child in node.value]
    return result


def _construct_int(loader: _MarkingLoader, node: yaml.ScalarNode) -> int:
    try:
        value: int = loader.construct_yaml_int(node)
    except ValueError as exc:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise YamlProblem(f"integer too long ({len(node.value)} characters): {exc}",
                          _mark(node), "T109") from None
    return value


_MarkingLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_marked(text: str) -> Any:
    """Parse one YAML document; raise :class:`YamlProblem` with a mark on a syntax error."""
    loader = _MarkingLoader(text)  # safe: a SafeLoader subclass
    try:
        node = compose(loader)
        return None if node is None else loader.construct_document(node)
    except ComposeLimit as exc:
        raise YamlProblem(exc.message, Mark(exc.line, exc.column), exc.code) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps construction shallow
        raise YamlProblem("document nests too deeply", None, "T108") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL...)
        position = exc.position
        line_start = text.rfind("\n", 0, position) + 1
        at = Mark(text.count("\n", 0, position) + 1, position - line_start + 1)
        raise YamlProblem(f"character {exc.character!r} is not allowed in YAML", at,
                          "T110") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark is not None else None
        reason = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise YamlProblem(reason, where) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc), None) from exc
    finally:
        loader.dispose()


def mark_of(container: Any, key: Any = None, *, of_key: bool = False) -> Mark | None:
    """Return the mark of ``container[key]`` (or of the key itself), or of the container."""
    if key is None:
        return getattr(container, "mark", None)
    if isinstance(container, MarkedDict):
        marks = container.key_marks if of_key else container.value_marks
        return marks.get(key, container.mark)
    if isinstance(container, MarkedList) and isinstance(key, int):
        if 0 <= key < len(container.item_marks):
            return container.item_marks[key]
        return container.mark
    return getattr(container, "mark", None)
