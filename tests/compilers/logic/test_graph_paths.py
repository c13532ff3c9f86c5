"""graph_paths: any shortest path is accepted, longer or broken ones are not."""

from __future__ import annotations

import pytest

from synthcompile.compilers.logic.families.graph_paths import GraphPaths, GraphPathsConfig

# A square A-B-D and A-C-D: two shortest paths of length 2, and a detour A-E-F-D of length 3.
SQUARE = [["A", "B", 1], ["A", "C", 1], ["B", "D", 1], ["C", "D", 1], ["A", "E", 1], ["E", "F", 1],
          ["F", "D", 1]]


def family() -> GraphPaths:
    return GraphPaths.make(2)


def data(kind: str, edges=SQUARE, directed=True, weighted=False, source="A", target="D") -> dict:
    return {"edges": edges, "directed": directed, "weighted": weighted, "source": source,
            "target": target, "kind": kind}


def test_either_shortest_path_is_accepted():
    f = family()
    assert f.verify(data("path"), "Answer: A -> B -> D").passed
    assert f.verify(data("path"), "Answer: [a, c, d]").passed
    assert not f.verify(data("path"), "Answer: A -> E -> F -> D").passed  # valid, but not shortest
    assert not f.verify(data("path"), "Answer: A -> D").passed            # no such edge
    assert not f.verify(data("path"), "Answer: D -> B -> A").passed       # wrong way round


def test_direction_matters_and_unreachable_is_an_answer():
    f = family()
    back = data("path", source="D", target="A")  # no edge leaves D in the directed graph
    assert f.verify(back, "no path").passed and f.verify(back, "Answer: unreachable").passed
    assert not f.verify(back, "D -> B -> A").passed
    assert not f.verify(data("reachable", source="D", target="A"), "yes").passed
    undirected = data("path", directed=False, source="D", target="A")
    assert not f.verify(undirected, "no path").passed
    assert f.verify(undirected, "D -> C -> A").passed


def test_weighted_path_must_have_optimal_total():
    edges = [["A", "B", 1], ["B", "D", 1], ["A", "D", 5], ["A", "C", 1], ["C", "D", 1]]
    f = family()
    d = data("path", edges=edges, weighted=True)
    assert f.verify(d, "A -> C -> D").passed and f.verify(d, "A -> B -> D").passed
    assert not f.verify(d, "A -> D").passed  # one edge, but weight 5 > 2
    assert f.verify(data("distance", edges=edges, weighted=True), "2").passed


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="edges"):
        GraphPathsConfig(nodes=3, edges=4, directed=False, max_weight=0, kinds=("path",))


def test_a_path_written_as_the_question_writes_edges_is_accepted():
    f = family()
    undirected = data("path", directed=False)
    for answer in ("A - B - D", "A-B-D", "A — C — D", "a-c-d", "A to B to D", "A, B, D", "A B D"):
        assert f.verify(undirected, answer).passed, answer
    assert not f.verify(undirected, "A-D").passed and not f.verify(undirected, "A-E-F-D").passed


def test_reachability_has_its_own_words():
    f = family()
    unreachable = data("reachable", source="D", target="A")  # directed: nothing leaves D
    for answer in ("there is no path", "No path exists.", "unreachable", "no", "No, there is no path"):
        assert f.verify(unreachable, answer).passed, answer
    for foreign in ("invalid", "unsat", "not a member", "false", "0", "yes", "reachable"):
        assert not f.verify(unreachable, foreign).passed, foreign
    assert f.verify(data("reachable"), "There is a path.").passed
