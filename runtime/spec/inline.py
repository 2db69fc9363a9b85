"""Orquesta's inline ``key=value`` arguments: ``core.echo message="hi" n=1 tpl={{ x }}``.

:func:`parse_inline_args` reads the text after an action reference (and an inline ``publish``
string) into a dict, typing bare words as Orquesta does (numbers, ``true``/``false``,
``null``, else text), keeping ``{{ }}`` templates and quoted strings whole, and reading
``[...]``/``{...}`` literals as YAML flow collections.

Misuse: this is not YAML (``on``/``yes`` stay text, ``2024-01-01`` is not a date); a malformed
text raises ``ValueError``, which loaders turn into a T402 diagnostic.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["parse_inline_args"]

_ARG = re.compile(r"\s*,?\s*(?P<key>[\w.-]+)=")


def parse_inline_args(text: str) -> dict[str, Any]:
    """Parse ``key=value`` pairs (space or comma separated) into a dict.

    Values: quoted strings, ``{{ ... }}`` templates, ``[...]``/``{...}`` literals, numbers,
    ``true``/``false``/``null``, or bare words. Raises ValueError on anything else.
    """
    result: dict[str, Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ARG.match(text, pos)
        if not match:
            raise ValueError(f"expected key=value at {text[pos:]!r}")
        key = match["key"]
        pos = match.end()
        value, pos = _inline_value(text, pos)
        result[key] = value
        while pos < len(text) and text[pos] in " ,\t":
            pos += 1
    return result


def _inline_value(text: str, pos: int) -> tuple[Any, int]:
    if pos >= len(text):
        return "", pos
    start = text[pos]
    if start in "\"'":
        end = pos + 1
        while end < len(text) and text[end] != start:
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise ValueError(f"unterminated string at {text[pos:]!r}")
        raw = text[pos + 1 : end]
        return raw.replace("\\" + start, start), end + 1
    if text.startswith("{{", pos) or text.startswith("<%", pos):
        closer = "}}" if start == "{" else "%>"
        end = text.find(closer, pos)
        if end < 0:
            raise ValueError(f"unterminated expression at {text[pos:]!r}")
        end += 2
        # A template may continue with more text up to the next separator: `a{{x}}b`.
        while end < len(text) and text[end] not in " ,":
            end += 1
        return text[pos:end], end
    if start in "[{":
        depth = 0
        for end in range(pos, len(text)):
            if text[end] in "[{":
                depth += 1
            elif text[end] in "]}":
                depth -= 1
                if depth == 0:
                    literal = text[pos : end + 1]
                    try:
                        return yaml.safe_load(literal), end + 1
                    except yaml.YAMLError:
                        raise ValueError(f"bad list or mapping {literal!r}") from None
        raise ValueError(f"unbalanced brackets at {text[pos:]!r}")
    end = pos
    while end < len(text) and text[end] not in " ,":
        end += 1
    word = text[pos:end]
    if "{{" in word:
        close = text.find("}}", pos)
        end = close + 2
        while end < len(text) and text[end] not in " ,":
            end += 1
        return text[pos:end], end
    return _bare_word(word), end


_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def _bare_word(word: str) -> Any:
    """Type an unquoted value as Orquesta does: numbers, true/false, null, else text.

    Deliberately not YAML: ``on``/``yes`` stay text, ``2024-01-01`` is not a date.
    """
    if _INT.fullmatch(word):
        return int(word)
    if _FLOAT.fullmatch(word):
        return float(word)
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    if word == "null":
        return None
    return word
