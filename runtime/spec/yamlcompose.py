"""Composing YAML events into nodes under limits: alias expansion, nesting depth.

PyYAML's composer shares an anchored node wherever an alias names it, so a few hundred bytes
(the "billion laughs") describe a document of 10^9 nodes: everything that walks the loaded
data (freezing, duplicate sweeps, compiling) then never ends. And it composes recursively, so
a document nested thousands deep ends in ``RecursionError`` (or a C stack overflow).
:func:`compose` reads the parser's events itself, iteratively, and refuses:

- aliases that together add more than :data:`ALIAS_BUDGET` nodes to the document
  (``T107``, at the alias that went over), and an alias to a node that is still open, which
  would make the data refer to itself (``T107``);
- nesting deeper than :data:`MAX_DEPTH` mappings and sequences (``T108``, at the collection
  that went too deep).

Misuse: only :func:`runtime.spec.yamlmarks.load_marked` calls it, with its loader; the
limits are the loader's (a workflow and a parameters file share them), not per caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["ALIAS_BUDGET", "MAX_DEPTH", "ComposeLimit", "compose"]

ALIAS_BUDGET = 100_000
"""How many nodes aliases may add to a document, in total, when expanded."""

MAX_DEPTH = 100
"""How deep mappings and sequences may nest."""


@dataclass(slots=True)
class ComposeLimit(Exception):  # an internal carrier, converted to a YamlProblem
    """The document went over a limit at ``line``/``column`` (1-based)."""

    code: str
    message: str
    line: int
    column: int


@dataclass(slots=True)
class _Open:
    node: SequenceNode | MappingNode
    size: int = 1
    pending_key: Node | None = None
    has_key: bool = False


@dataclass(slots=True)
class _State:
    anchors: dict[str, Node] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)
    open_ids: set[int] = field(default_factory=set)
    added: int = 0


def _marks(event: Any) -> tuple[Any, Any]:
    """An event's start and end marks (libyaml's or PyYAML's own Mark class)."""
    return event.start_mark, event.end_mark


def _limit(code: str, message: str, event: ev.Event) -> ComposeLimit:
    mark = _marks(event)[0]
    return ComposeLimit(code, message, mark.line + 1, mark.column + 1)


def compose(loader: Any) -> Node | None:
    """The single document's root node, composed from ``loader``'s events (see the module).

    Long because it is the composer's one event loop; each branch is one event kind.
    """
    loader.get_event()  # StreamStart
    if loader.check_event(ev.StreamEndEvent):
        return None
    loader.get_event()  # DocumentStart
    state = _State()
    stack: list[_Open] = []
    root: Node | None = None
    node: Node
    while True:
        event = loader.get_event()
        if isinstance(event, ev.DocumentEndEvent):
            break
        if isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent)):
            done = stack.pop()
            state.open_ids.discard(id(done.node))
            state.sizes[id(done.node)] = done.size
            node, size = done.node, done.size
        elif isinstance(event, ev.AliasEvent):
            node = _alias(state, event)
            size = state.sizes[id(node)]
            state.added += size
            if state.added > ALIAS_BUDGET:
                raise _limit("T107", f"aliases expand the document by more than "
                             f"{ALIAS_BUDGET} nodes", event)
        elif isinstance(event, ev.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, *_marks(event),
                              style=event.style)
            size = 1
            state.sizes[id(node)] = 1
            _anchor(state, event, node)
        else:
            stack.append(_start(loader, state, event, len(stack)))
            continue
        if not stack:
            root = node
            continue
        _add(stack[-1], node, size)
    if not loader.check_event(ev.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", None,
            "but found another document", _marks(event)[0])
    loader.get_event()
    return root


def _start(loader: Any, state: _State, event: ev.Event, depth: int) -> _Open:
    if depth >= MAX_DEPTH:
        raise _limit("T108", f"mappings and sequences nest deeper than {MAX_DEPTH}", event)
    collection: SequenceNode | MappingNode
    if isinstance(event, ev.SequenceStartEvent):
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(SequenceNode, None, event.implicit)
        collection = SequenceNode(tag, [], *_marks(event),
                                  flow_style=event.flow_style)
    elif isinstance(event, ev.MappingStartEvent):
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(MappingNode, None, event.implicit)
        collection = MappingNode(tag, [], *_marks(event),
                                 flow_style=event.flow_style)
    else:  # pragma: no cover - the parser emits no other event inside a document
        raise yaml.composer.ComposerError(None, None, f"unexpected {event}", _marks(event)[0])
    _anchor(state, event, collection)
    state.open_ids.add(id(collection))
    return _Open(collection)


def _anchor(state: _State, event: Any, node: Node) -> None:
    if event.anchor is not None:
        state.anchors[event.anchor] = node


def _alias(state: _State, event: ev.AliasEvent) -> Node:
    node = state.anchors.get(event.anchor or "")
    if node is None:
        raise yaml.composer.ComposerError(
            None, None, f"found undefined alias {event.anchor!r}", _marks(event)[0])
    if id(node) in state.open_ids:
        raise _limit("T107", f"alias {event.anchor!r} refers to a node that contains it",
                     event)
    return node


def _add(parent: _Open, node: Node, size: int) -> None:
    parent.size += size
    if isinstance(parent.node, SequenceNode):
        parent.node.value.append(node)
    elif not parent.has_key:
        parent.pending_key, parent.has_key = node, True
    else:
        parent.node.value.append((parent.pending_key, node))
        parent.pending_key, parent.has_key = None, False
