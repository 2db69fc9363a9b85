"""StackStorm's Jinja filters, re-implemented from their documented behaviour.

StackStorm workflows use these as filters (``{{ x | to_json_string }}``) and, in Orquesta
expressions, as functions (``{{ to_json_string(x) }}``): the Orquesta sandbox registers every
name of :data:`ST2_FILTERS` as both. Data in, frozen data out; serialisers thaw first, so a
pyrsistent map dumps as a JSON object. The version filters are in
:mod:`runtime.templating.st2_versions`.

Regexes run on Python's ``re`` inside the sandbox: a pathological pattern can backtrack as
long as ``re`` lets it (no more exposure than ``match``/``regex_replace`` of plain Jinja had;
bounding evaluation time is issue 14's business).

Misuse: these functions must stay side-effect free (validation, the engine and replays may
evaluate the same expression); ``decrypt_kv``, ``st2kv`` and ``task(name)`` are not here (they
read the evaluation scope: :mod:`runtime.templating.orquesta_functions`).
"""

from __future__ import annotations

import functools
import json
import posixpath
from typing import Any

import regex
import yaml
from jsonpath_ng.jsonpath import JSONPath
from jsonpath_ng.parser import parse as jsonpath_parse

from runtime.errors import ExpressionError
from runtime.templating.guards import run_regex
from runtime.templating.st2_versions import VERSION_FILTERS
from runtime.values import freeze, thaw, to_json

__all__ = ["ST2_FILTERS"]


def to_json_string(value: Any, indent: int | None = None, sort_keys: bool = False,
                   separators: tuple[str, str] = (",", ": ")) -> str:
    """JSON text of ``value`` (StackStorm's defaults: ``", "``/``": "`` separators)."""
    return to_json(thaw(value), indent=indent, sort_keys=sort_keys,
                   separators=tuple(separators))


def from_json_string(value: Any) -> Any:
    """Parse JSON text into frozen data."""
    try:
        return freeze(json.loads(str(value)))
    except ValueError as exc:
        raise ExpressionError(f"from_json_string: {exc}", expression="") from None


def to_yaml_string(value: Any, indent: int | None = None, allow_unicode: bool = True) -> str:
    """Block-style YAML text of ``value``."""
    return yaml.safe_dump(thaw(value), default_flow_style=False, indent=indent,
                          allow_unicode=allow_unicode)


def from_yaml_string(value: Any) -> Any:
    """Parse YAML text (safe loader) into frozen data."""
    try:
        return freeze(yaml.safe_load(str(value)))
    except yaml.YAMLError as exc:
        raise ExpressionError(f"from_yaml_string: {exc}", expression="") from None


def to_complex(value: Any) -> str:
    """JSON text of ``value`` (StackStorm's alias of ``to_json_string`` without options)."""
    return to_json(thaw(value))


def json_escape(value: Any) -> str:
    """``value`` as a JSON string body: escaped, without the surrounding quotes."""
    return to_json(thaw(value)).strip('"')


@functools.lru_cache(maxsize=256)
def _jsonpath(query: str) -> JSONPath:
    return jsonpath_parse(query)


def jsonpath_query(value: Any, query: str) -> Any:
    """The list of values JSONPath ``query`` selects in ``value``, or None if none match."""
    try:
        expr = _jsonpath(query)
    except Exception as exc:  # jsonpath-ng raises plain Exception on a bad query
        raise ExpressionError(f"jsonpath_query: bad query {query!r}: {exc}",
                              expression="") from None
    matches = [match.value for match in expr.find(thaw(value))]
    return freeze(matches) if matches else None


def _flags(ignorecase: bool) -> int:
    return int(regex.IGNORECASE) if ignorecase else 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def regex_match(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    """Tell whether ``pattern`` matches at the start of ``value``."""
    return run_regex(regex.match, pattern, _text(value), _flags(ignorecase)) is not None


def regex_search(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    """Tell whether ``pattern`` matches anywhere in ``value``."""
    return run_regex(regex.search, pattern, _text(value), _flags(ignorecase)) is not None


def regex_replace(value: Any, pattern: str, replacement: str, ignorecase: bool = False) -> str:
    """Replace every match of ``pattern`` (``\\1`` back-references allowed)."""
    return str(run_regex(regex.sub, pattern, replacement, _text(value),
                         flags=_flags(ignorecase)))


def regex_substring(value: Any, pattern: str, result_index: int = 0,
                    ignorecase: bool = False) -> Any:
    """The ``result_index``-th match of ``pattern`` (``re.findall``'s item: a group if any)."""
    found = run_regex(regex.findall, pattern, _text(value), _flags(ignorecase))
    try:
        return freeze(found[result_index])
    except IndexError:
        raise ExpressionError(f"regex_substring: no match {result_index} of {pattern!r}",
                              expression="") from None


_UNITS = ((365 * 86400, "y"), (86400, "d"), (3600, "h"), (60, "m"))


def to_human_time_from_seconds(seconds: Any) -> str:
    """``3725`` -> ``"1h2m5s"``: from the largest non-zero unit down to seconds.

    Below one second the value is kept as microseconds text (``"0.5μs"``), as StackStorm
    does; a year is 365 days.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ExpressionError("to_human_time_from_seconds takes a number of seconds",
                              expression="")
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds}\u03bcs"
    rest = round(seconds)
    parts: list[str] = []
    for size, unit in _UNITS:
        count, rest = divmod(rest, size)
        if count or parts:
            parts.append(f"{count}{unit}")
    return "".join(parts) + f"{rest}s"


def use_none(value: Any) -> Any:
    """Pass ``value`` through, None included.

    StackStorm needs it to keep None from becoming the text ``"None"``; a Troupe expression
    that is exactly ``{{ ... }}`` already yields native values, so None stays None.
    """
    return value


def basename(path: Any) -> str:
    """The last component of a POSIX path (``/a/b.txt`` -> ``b.txt``)."""
    return posixpath.basename(_text(path))


def dirname(path: Any) -> str:
    """The path without its last component (``/a/b.txt`` -> ``/a``)."""
    return posixpath.dirname(_text(path))


ST2_FILTERS: dict[str, Any] = {
    "to_json_string": to_json_string,
    "from_json_string": from_json_string,
    "to_yaml_string": to_yaml_string,
    "from_yaml_string": from_yaml_string,
    "to_complex": to_complex,
    "json_escape": json_escape,
    "json_parse": from_json_string,
    "jsonpath_query": jsonpath_query,
    "regex_match": regex_match,
    "regex_replace": regex_replace,
    "regex_search": regex_search,
    "regex_substring": regex_substring,
    "to_human_time_from_seconds": to_human_time_from_seconds,
    "use_none": use_none,
    "basename": basename,
    "dirname": dirname,
    **VERSION_FILTERS,
}
