"""What a workflow argument is: a path, YAML text, or an already parsed mapping.

:func:`classify` is the one rule for every caller that accepts "a path or YAML text"
(``load_workflow``, ``validate``, ``start_workflow``):

- an ``os.PathLike`` is a path;
- a mapping is a parsed document;
- a string with a line break is YAML text, and so is a one-line string that starts a flow
  collection (``{`` or ``[``) or that YAML reads as a mapping (``tasks: {...}``);
- any other string is a path, whatever its extension (``examples/hello``, ``nope``).

:func:`read` then turns a classified source into text; a path that names nothing, a directory
or an unreadable file raises :class:`runtime.errors.WorkflowFileError` carrying the path; so
does a file that is not UTF-8 (or UTF-16/32 with a byte-order mark), with the line and column
of the first bad byte.

Misuse: do not guess path-or-text anywhere else (a second rule drifts from this one); the
filesystem is not consulted to classify, so a missing file is reported as missing, never
parsed as YAML text.
"""

from __future__ import annotations

import codecs
import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runtime.errors import FileProblem, WorkflowFileError

__all__ = ["Source", "SourceKind", "classify", "decode", "is_workflow_file", "read"]

_SUFFIXES = (".yaml", ".yml")


def is_workflow_file(ref: str) -> bool:
    """Tell whether an action reference names a workflow file (a sub-workflow)."""
    return ref.endswith(_SUFFIXES)


class SourceKind(enum.Enum):
    """How a workflow was given."""

    PATH = "path"
    TEXT = "text"
    MAPPING = "mapping"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A classified workflow argument; ``value`` is a ``Path``, a ``str`` or a mapping."""

    kind: SourceKind
    value: Any

    @property
    def path(self) -> Path | None:
        """The path when the source is a file, else None."""
        return self.value if self.kind is SourceKind.PATH else None


def classify(source: Any) -> Source:
    """Tell whether ``source`` is a path, YAML text or a parsed mapping (see the module)."""
    if isinstance(source, os.PathLike):
        return Source(kind=SourceKind.PATH, value=Path(source))
    if isinstance(source, Mapping):
        return Source(kind=SourceKind.MAPPING, value=source)
    if not isinstance(source, str):
        raise TypeError(f"a workflow is a path, YAML text or a mapping, not "
                        f"{type(source).__name__}")
    if _is_text(source):
        return Source(kind=SourceKind.TEXT, value=source)
    return Source(kind=SourceKind.PATH, value=Path(source))


def _is_text(source: str) -> bool:
    if "\n" in source or "\r" in source:
        return True
    stripped = source.strip()
    if stripped.startswith(("{", "[")):
        return True
    try:
        return isinstance(yaml.safe_load(stripped), dict)
    except yaml.YAMLError:
        return False


def read(source: Source) -> str:
    """Return the YAML text of a path or text source.

    Raises :class:`WorkflowFileError` for a missing path, a directory or an unreadable file.
    """
    if source.kind is SourceKind.TEXT:
        return str(source.value)
    if source.kind is not SourceKind.PATH:
        raise TypeError("only a path or text source has text to read")
    path: Path = source.value
    try:
        return decode(path.read_bytes(), str(path))
    except FileNotFoundError:
        raise WorkflowFileError(str(path), FileProblem.MISSING) from None
    except IsADirectoryError:
        raise WorkflowFileError(str(path), FileProblem.DIRECTORY) from None
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise WorkflowFileError(str(path), FileProblem.UNREADABLE, reason) from None


_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, path: str) -> str:
    """The text of a YAML file: UTF-8, or UTF-8/16/32 with a byte-order mark (as YAML allows).

    Bytes that do not decode raise :class:`WorkflowFileError` (``UNDECODABLE``) with the
    1-based line and column (in bytes) of the first bad byte.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        raise WorkflowFileError(path, FileProblem.UNDECODABLE,
                                f"{encoding}: {exc.reason} at byte {start}",
                                line=data.count(b"\n", 0, start) + 1,
                                column=start - line_start + 1) from None
