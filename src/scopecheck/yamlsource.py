"""YAML reading that keeps every key's and value's position, and refuses what is unsafe.

In: YAML text and the path to name in messages. Out: plain data (dict, list, str, int, Decimal,
bool, None) and a ``SourceMap`` from a JSON path such as ``("rates", "standard")`` to the span of
that key and of its value, so that schema errors can point at the exact line and column.

Why not ``yaml.safe_load``: it forgets positions, reads ``150.10`` as a float (money must never
be a float), turns dates into objects that JSON Schema cannot check, silently keeps the last of
two duplicate keys, and expands aliases without limit (the "billion laughs" document).
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span
from scopecheck.record import field, record

if TYPE_CHECKING:
    import yaml

JsonPath = tuple[str | int, ...]

# Far beyond any real agreement (a few hundred nodes), far below what hurts memory.
MAX_NODES = 100_000


@record(slots=False)
class SourceMap:
    """Where each part of a YAML document was written."""

    path: str
    key_spans: dict[JsonPath, Span] = field(default_factory=dict)
    value_spans: dict[JsonPath, Span] = field(default_factory=dict)

    def span_of(self, json_path: JsonPath, *, key: bool = False) -> Span:
        """The span of the value at ``json_path`` (of its key with ``key=True``); the nearest
        enclosing part that has one when the path is not in the document."""
        spans = self.key_spans if key else self.value_spans
        for cut in range(len(json_path), -1, -1):
            prefix = tuple(json_path[:cut])
            if prefix in spans:
                return spans[prefix]
            if prefix in self.value_spans:
                return self.value_spans[prefix]
        return Span(self.path, 1, 1)


def dotted(path: JsonPath) -> str:
    """A path as people write it: ``rates.roles.engineer``, with items as ``rules[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _span(path: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def load_yaml(text: str, path: str) -> tuple[object, SourceMap]:
    """Parse one YAML document; raises ``DiagnosticError`` with positions for anything wrong."""
    # Imported here, not at the top: a run that reads no YAML (CSV tickets, an agreement from
    # the cache) is spared PyYAML's import, a noticeable part of start-up.
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = Span(path, mark.line + 1, mark.column + 1) if mark else Span(path, 1, 1)
        problem = (error.problem or error.context or "not valid YAML").strip()
        raise DiagnosticError([Diagnostic("yaml.syntax", f"not valid YAML: {problem}", span)]) from None
    except yaml.YAMLError as error:
        raise DiagnosticError([Diagnostic("yaml.syntax", f"not valid YAML: {error}", Span(path, 1, 1))]) from None
    source_map = SourceMap(path)
    if node is None:
        return None, source_map
    builder = _Builder(path, source_map)
    data = builder.build(node, ())
    if builder.problems:
        raise DiagnosticError(builder.problems)
    return data, source_map


class _Builder:
    def __init__(self, path: str, source_map: SourceMap):
        self.path = path
        self.source_map = source_map
        self.nodes_built = 0
        self.problems: list[Diagnostic] = []

    def build(self, node: yaml.Node, json_path: JsonPath) -> object:
        self.nodes_built += 1
        if self.nodes_built > MAX_NODES:
            raise DiagnosticError(
                [
                    Diagnostic(
                        "yaml.too-large",
                        f"the document expands to more than {MAX_NODES} values (aliases repeated too often?)",
                        _span(self.path, node),
                    )
                ]
            )
        self.source_map.value_spans.setdefault(json_path, _span(self.path, node))
        # A node's kind by its ``id``, so that this module needs PyYAML only to parse.
        if node.id == "mapping":
            return self._mapping(node, json_path)
        if node.id == "sequence":
            return [self.build(item, json_path + (index,)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, json_path: JsonPath) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Diagnostic("yaml.merge-key", "merge keys ('<<') are not supported; write the keys out", _span(self.path, key_node))
                )
                continue
            key = self._scalar(key_node) if key_node.id == "scalar" else None
            if not isinstance(key, Hashable) or key is None or isinstance(key, (list, dict)):
                self.problems.append(Diagnostic("yaml.bad-key", "a key must be plain text", _span(self.path, key_node)))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                first = self.source_map.key_spans[json_path + (key,)]
                self.problems.append(
                    Diagnostic(
                        "yaml.duplicate-key",
                        f"key '{key}' appears twice",
                        _span(self.path, key_node),
                        help=f"the first '{key}' is at line {first.line}",
                    )
                )
                continue
            self.source_map.key_spans[json_path + (key,)] = _span(self.path, key_node)
            result[key] = self.build(value_node, json_path + (key,))
        return result

    def _scalar(self, node: yaml.ScalarNode) -> object:
        value = node.value
        match node.tag:
            case "tag:yaml.org,2002:int":
                try:
                    return int(value.replace("_", ""), 0) if value[:2].lower() in ("0x", "0o") else int(value.replace("_", ""))
                except ValueError:
                    return value
            case "tag:yaml.org,2002:float":
                try:
                    number = Decimal(value.replace("_", ""))
                except ArithmeticError:
                    return value
                return number if number.is_finite() else value
            case "tag:yaml.org,2002:bool":
                # YAML 1.2: only true and false are booleans; `name: Yes` stays text.
                lowered = value.lower()
                return lowered == "true" if lowered in ("true", "false") else value
            case "tag:yaml.org,2002:null":
                return None
            case "tag:yaml.org,2002:str" | "tag:yaml.org,2002:timestamp":
                # Dates stay text: JSON Schema checks them with "format", the model parses them.
                return value
        self.problems.append(
            Diagnostic("yaml.tag", f"the tag '{node.tag}' is not allowed here", _span(self.path, node))
        )
        return value


def shown_value(value: object) -> str:
    """A value read from YAML, in the words of a message: ``'abc'``, ``30``, ``a mapping``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return f"'{value}'"


def frozen(value: object) -> object:
    """Data read from YAML made read-only: mappings as mapping proxies, lists as tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value
