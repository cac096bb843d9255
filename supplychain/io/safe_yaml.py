"""A YAML reader that means what the file says.

* Only ``null``/``~``/empty and ``true``/``false`` are typed; every other plain scalar
  stays text, so ``NO`` (Norway), ``on``, ``012`` or ``1e3`` as an id stays exactly what
  was written. pydantic turns text into numbers only where the schema asks for one.
* Aliases are refused the moment the parser meets one: an alias bomb fails in
  microseconds instead of expanding in memory.
* Tags (``!!python/object`` and friends) and duplicate keys are errors.
* Nesting deeper than ``max_depth`` is an error.

It also records the line of every value, so problems can point at ``file:line``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

__all__ = ["YamlProblem", "read_yaml"]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_PLAIN = "!supplychain/plain"


class YamlProblem(Exception):
    """A YAML file we refuse to read; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    max_depth = 64

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def resolve(self, kind, value, implicit):
        # plain scalars get one neutral tag; the builder types them (null, bool) itself,
        # so anything else still carrying a tag was written explicitly in the file
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                f"aliases (*{event.anchor}) are not allowed; write the value out in full",
                event.start_mark.line + 1,
            )
        self._depth += 1
        if self._depth > self.max_depth:
            raise YamlProblem(
                f"nesting deeper than {self.max_depth} levels", self.peek_event().start_mark.line + 1
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _build(node, path: tuple, lines: dict[tuple, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, ScalarNode):
        if node.tag == _PLAIN:
            v = node.value
            if _NULL.match(v):
                return None
            if _TRUE.match(v):
                return True
            if _FALSE.match(v):
                return False
            return v
        if node.tag != "tag:yaml.org,2002:str":
            raise YamlProblem(f"tag {node.tag!r} is not allowed; remove it", node.start_mark.line + 1)
        return node.value
    if isinstance(node, SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise YamlProblem(f"tag {node.tag!r} is not allowed; remove it", node.start_mark.line + 1)
        return [_build(n, (*path, i), lines) for i, n in enumerate(node.value)]
    if isinstance(node, MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise YamlProblem(f"tag {node.tag!r} is not allowed; remove it", node.start_mark.line + 1)
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode) or knode.tag not in (_PLAIN, "tag:yaml.org,2002:str"):
                raise YamlProblem("keys must be plain text (no lists, mappings or tags)", knode.start_mark.line + 1)
            if knode.value == "<<" and knode.tag == _PLAIN:
                raise YamlProblem("merge keys (<<) are not allowed; write the fields out", knode.start_mark.line + 1)
            key = knode.value  # keys are always text, exactly as written
            if key in out:
                raise YamlProblem(
                    f"key {key!r} appears twice (first on line {lines[(*path, key)]})",
                    knode.start_mark.line + 1,
                )
            lines[(*path, key)] = knode.start_mark.line + 1
            out[key] = _build(vnode, (*path, key), lines)
            lines[(*path, key)] = knode.start_mark.line + 1
        return out
    raise YamlProblem(f"unsupported YAML node {type(node).__name__}")


def read_yaml(text: str, *, max_depth: int = 64) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document; return the data and a map of path -> line number.

    >>> data, lines = read_yaml("home: NO\\nparts:\\n  '012': {stock: 012}\\n")
    >>> data
    {'home': 'NO', 'parts': {'012': {'stock': '012'}}}
    >>> lines[("parts", "012")]
    3
    """
    try:
        loader = _Loader(text)  # the reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YamlProblem(f"character {chr(exc.character)!r} is not allowed in YAML; remove it "
                          "(or write it as an escape in a double-quoted string)", line) from None
    loader.max_depth = max_depth
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            msg = " ".join(x for x in (exc.context, exc.problem) if x) or str(exc)
            raise YamlProblem(f"not valid YAML: {msg}", mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise YamlProblem(f"not valid YAML: {exc}") from None
        if node is None:
            return None, {}
        lines: dict[tuple, int] = {}
        return _build(node, (), lines), lines
    finally:
        loader.dispose()
