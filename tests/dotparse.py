"""A small reader of the DOT text ``tinygrad_vn.viz`` writes, so tests can check nodes, edges and labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r"^(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^(\w+) -> (\w+)(?: \[(.*)\])?$")
_CLUSTER = re.compile(r"^subgraph (cluster_\w+) \{$")


def _attributes(text: str) -> dict[str, str]:
    attrs = {}
    for key, value in _ATTR.findall(text or ""):
        if value.startswith('"'):
            value = value[1:-1].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        attrs[key] = value
    return attrs


@dataclass
class Dot:
    """Nodes (id → attributes), edges (tail, head, attributes) in order, clusters (id → label, members)."""

    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def label(self, node: str) -> str:
        return self.nodes[node].get("label", "")

    def key(self, node: str) -> str:
        """A readable key: a tensor's first label line, or an op's ``name: formula``."""
        lines = self.label(node).split("\n")
        if self.nodes[node].get("shape") == "ellipse":
            return ": ".join(lines[:2])
        return lines[0]

    def find(self, key: str) -> str:
        matches = [n for n in self.nodes if self.key(n) == key]
        assert len(matches) == 1, f"{key!r} matches {matches}"
        return matches[0]

    def reachable(self, start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for tail, head, _ in self.edges:
                if tail == node and head not in seen:
                    seen.add(head)
                    todo.append(head)
        return seen


def parse_dot(source: str) -> Dot:
    """Read the DOT text: every node line, edge line and cluster (nested clusters are listed flat)."""
    dot = Dot()
    open_clusters: list[str] = []
    for raw in source.splitlines():
        line = raw.strip()
        if match := _CLUSTER.match(line):
            open_clusters.append(match.group(1))
            dot.clusters[match.group(1)] = ("", [])
        elif line == "}" and open_clusters:
            open_clusters.pop()
        elif line.startswith("label=") and open_clusters:
            name = open_clusters[-1]
            dot.clusters[name] = (_attributes(line)["label"], dot.clusters[name][1])
        elif match := _EDGE.match(line):
            dot.edges.append((match.group(1), match.group(2), _attributes(match.group(3))))
        elif (match := _NODE.match(line)) and match.group(1) not in ("graph", "node", "edge"):
            dot.nodes[match.group(1)] = _attributes(match.group(2))
            for name in open_clusters:
                dot.clusters[name][1].append(match.group(1))
    return dot
