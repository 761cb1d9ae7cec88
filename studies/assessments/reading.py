"""A referential file (YAML or JSON) read into plain values that remember their line.

Why: an import refused for « duplicate code » is useless without the line to fix. PyYAML's
composer knows each node's mark; the standard library's JSON decoder knows the offset where each
object and array starts (through its pure-Python scanner, which calls our hooks). Both produce
`LDict`/`LList`, a `dict`/`list` with `.line` (where it starts) and `.lines` (per key or index).
Scalars are plain Python values; their line is their container's `.lines[key]`.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner

import yaml
from django.utils.translation import gettext as _


class ReadError(Exception):
    """The file cannot be read at all (syntax); `line` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class LDict(dict):
    line: int = 0

    def __init__(self, *args, line: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.lines: dict = {}

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class LList(list):
    line: int = 0

    def __init__(self, *args, line: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


# --- YAML ------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader (no Python objects) whose mappings and sequences keep their lines."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    result = LDict(line=node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int):
            raise ReadError(_("A key must be a word."), line)
        if key in result:
            raise ReadError(_("The key « %(key)s » appears twice here.") % {"key": key}, line)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LList:
    result = LList(line=node.start_mark.line + 1)
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
# Dates and times stay text: the validation reads them, and a JSON file has no such type.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def read_yaml(text: str):
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except ReadError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise ReadError(
            _("This is not valid YAML: %(problem)s.") % {"problem": error.problem or error.context},
            mark.line + 1 if mark else None,
        ) from error
    except yaml.YAMLError as error:
        raise ReadError(_("This is not valid YAML.")) from error


# --- JSON ------------------------------------------------------------------------------------


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class _Decoder(json.JSONDecoder):
    """A JSON decoder whose objects and arrays know their line (the pure-Python scanner calls
    `parse_object`/`parse_array` with the offset where each starts; the C scanner would not)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = json.scanner.py_make_scanner(self)

    def _object(self, s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        text, start = s_and_end
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, lambda p: p, memo)
        result = LDict(line=_line_at(text, start - 1))
        cursor = start
        for key, value in pairs:
            found = text.find(json.dumps(key, ensure_ascii=False), cursor)
            if found < 0:
                found = text.find(json.dumps(key), cursor)
            line = _line_at(text, found if found >= 0 else cursor)
            if key in result:
                raise ReadError(_("The key « %(key)s » appears twice here.") % {"key": key}, line)
            result[key] = value
            result.lines[key] = line
            if found >= 0:
                cursor = found + 1
        return result, end

    def _array(self, s_and_end, scan_once, memo=None):
        text, start = s_and_end
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        result = LList(values, line=_line_at(text, start - 1))
        result.lines = [getattr(value, "line", result.line) for value in values]
        return result, end


def read_json(text: str):
    try:
        return _Decoder(text).decode(text)
    except ReadError:
        raise
    except json.JSONDecodeError as error:
        raise ReadError(
            _("This is not valid JSON: %(problem)s.") % {"problem": error.msg}, error.lineno
        ) from error


def read(text: str, name: str = ""):
    """The file's values; JSON when its name ends in .json or its text starts with « { »."""
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        return read_json(text)
    return read_yaml(text)
