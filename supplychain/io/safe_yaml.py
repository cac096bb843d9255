"""A YAML reader that means what the file says.

* Only ``null``/``~``/empty and ``true``/``false`` are typed; every other plain scalar
  stays text, so ``NO`` (Norway), ``on``, ``012`` or ``1e3`` as an id stays exactly what
  was written. pydantic turns text into numbers only where the schema asks for one.
* Aliases are refused the moment the parser meets one: an alias bomb fails in
  microseconds instead of expanding in memory.
* Tags (``!!python/object`` and friends) and duplicate keys are errors.
* Nesting deeper than ``max_depth`` is an error.

It also records the line of every value, so problems can point at ``file:line``. The
data is built from the parser's events, which come from libyaml (PyYAML's C parser,
several times faster) where it is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["LazyLines", "YamlProblem", "read_yaml"]


class YamlProblem(Exception):
    """A YAML file we refuse to read; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Again(Exception):
    """Raised where a message needs the lines that were not tracked: parse again with them."""


class LazyLines(Mapping):
    """The path -> line map of a YAML text, built by a second parse on first use: a
    valid file, whose lines nobody asks for, is parsed once without them."""

    def __init__(self, text: str, max_depth: int) -> None:
        self._text, self._depth, self._map = text, max_depth, None

    def _lines(self) -> dict[tuple, int]:
        if self._map is None:
            self._map = read_yaml(self._text, max_depth=self._depth)[1]
        return self._map

    def __getitem__(self, key: tuple) -> int:
        return self._lines()[key]

    def __iter__(self):
        return iter(self._lines())

    def __len__(self) -> int:
        return len(self._lines())

    def __contains__(self, key: object) -> bool:
        return key in self._lines()


def read_yaml(text: str, *, max_depth: int = 64, lines: bool = True) -> tuple[Any, Mapping[tuple, int]]:
    """Parse one YAML document; return the data and a map of path -> line number.

    The events come from libyaml (PyYAML's C parser) where it is installed, else from
    PyYAML's Python parser; the data is built from them here, with the same guards
    either way. With ``lines=False`` the map is a :class:`LazyLines`, built by a
    second parse only when something asks for a line.

    >>> data, lines = read_yaml("home: NO\\nparts:\\n  '012': {stock: 012}\\n")
    >>> data
    {'home': 'NO', 'parts': {'012': {'stock': '012'}}}
    >>> lines[("parts", "012")]
    3
    """
    try:
        loader = _EventLoader(text)  # the reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(text, exc) from None
    try:
        if not lines:
            try:
                data, _ = _from_events(loader, max_depth, track=False)
            except _Again:
                return read_yaml(text, max_depth=max_depth)
            return data, LazyLines(text, max_depth)
        return _from_events(loader, max_depth)
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(x for x in (exc.context, exc.problem) if x) or str(exc)
        raise YamlProblem(f"not valid YAML: {msg}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


_EventLoader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _reader_problem(text: str, exc: Exception) -> YamlProblem:
    position = max(getattr(exc, "position", 0) or 0, 0)
    if _EventLoader is yaml.SafeLoader:  # a character offset
        line = text.count("\n", 0, position) + 1
    else:  # libyaml counts bytes
        line = text.encode("utf-8", "surrogatepass")[:position].count(b"\n") + 1
    char = getattr(exc, "character", None)
    what = repr(chr(char)) if isinstance(char, int) else "a control character"
    return YamlProblem(f"character {what} is not allowed in YAML; remove it "
                       "(or write it as an escape in a double-quoted string)", line)


_PLAIN_VALUES = {**dict.fromkeys(("~", "null", "Null", "NULL", ""), None),
                 **dict.fromkeys(("true", "True", "TRUE"), True),
                 **dict.fromkeys(("false", "False", "FALSE"), False)}
_TEXT_TAGS = (None, "!", _STR)


def _scalar(ev) -> Any:
    if ev.implicit[0] and ev.tag is None:  # plain: only null and booleans are typed
        v = ev.value
        return _PLAIN_VALUES.get(v, v) if len(v) <= 5 else v
    if ev.tag not in _TEXT_TAGS:
        raise YamlProblem(f"tag {ev.tag!r} is not allowed; remove it", ev.start_mark.line + 1)
    return ev.value


def _from_events(loader, max_depth: int, *, track: bool = True) -> tuple[Any, dict[tuple, int]]:
    """Build plain data from the parser's events: aliases, tags other than the plain
    ones, merge keys, duplicate keys and nesting deeper than ``max_depth`` refused."""
    E = yaml.events
    Scalar, SeqStart, MapStart = E.ScalarEvent, E.SequenceStartEvent, E.MappingStartEvent
    ends = (E.SequenceEndEvent, E.MappingEndEvent)
    skip = (E.StreamStartEvent, E.DocumentEndEvent)
    lines: dict[tuple, int] = {}
    # each open container: [value, path, is a mapping, pending key, key line]
    stack: list[list[Any]] = []
    top: list[Any] | None = None
    root: Any = None
    documents = 0
    get = loader.get_event
    while True:
        ev = get()
        cls = type(ev)
        if top is not None and top[2] and top[3] is None and cls is not E.MappingEndEvent:
            # a mapping's key: plain text, never a container, a tag or "<<"
            line = ev.start_mark.line + 1
            if cls is not Scalar or ev.tag not in _TEXT_TAGS:
                if cls is E.AliasEvent:
                    raise YamlProblem(f"aliases (*{ev.anchor}) are not allowed; write the value out in full", line)
                raise YamlProblem("keys must be plain text (no lists, mappings or tags)", line)
            key = ev.value
            if key == "<<" and ev.implicit[0]:
                raise YamlProblem("merge keys (<<) are not allowed; write the fields out", line)
            if key in top[0]:
                if not track:
                    raise _Again
                raise YamlProblem(f"key {key!r} appears twice (first on line {lines[(*top[1], key)]})", line)
            top[3], top[4] = key, line
            continue
        if cls is Scalar or cls is SeqStart or cls is MapStart:
            if not track:
                path: tuple = ()
            elif top is None:
                path = ()
                lines[path] = ev.start_mark.line + 1
            elif top[2]:
                path = (*top[1], top[3])
                lines[path] = top[4]  # a mapping's value is found at its key's line
            else:
                path = (*top[1], len(top[0]))
                lines[path] = ev.start_mark.line + 1
            if len(stack) + 1 > max_depth:
                raise YamlProblem(f"nesting deeper than {max_depth} levels", ev.start_mark.line + 1)
            if cls is Scalar:
                value: Any = _scalar(ev)
            elif cls is SeqStart:
                if ev.tag not in (None, "!", _SEQ):
                    raise YamlProblem(f"tag {ev.tag!r} is not allowed; remove it", ev.start_mark.line + 1)
                value = []
            else:
                if ev.tag not in (None, "!", _MAP):
                    raise YamlProblem(f"tag {ev.tag!r} is not allowed; remove it", ev.start_mark.line + 1)
                value = {}
            if top is None:
                root = value
            elif top[2]:
                top[0][top[3]] = value
                top[3] = None
            else:
                top[0].append(value)
            if cls is not Scalar:
                top = [value, path, cls is MapStart, None, None]
                stack.append(top)
            continue
        if cls in ends:
            stack.pop()
            top = stack[-1] if stack else None
            continue
        if cls is E.StreamEndEvent:
            break
        if cls in skip:
            continue
        if cls is E.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise YamlProblem("not valid YAML: expected a single document in the file, but found another",
                                  ev.start_mark.line + 1)
            continue
        if cls is E.AliasEvent:
            raise YamlProblem(f"aliases (*{ev.anchor}) are not allowed; write the value out in full",
                              ev.start_mark.line + 1)
        raise YamlProblem(f"unsupported YAML event {cls.__name__}", ev.start_mark.line + 1)
    return root, lines
