"""Self time and the critical path on hand-built span trees (times in ms), against what Jaeger's
UI marks for the same shapes."""

from console.critical_path import Section, Span, analyse


def _spans(*rows):
    return [Span(span_id, parent, start, end) for span_id, parent, start, end in rows]


def test_a_sequence_of_children_is_all_on_the_path_with_the_gaps_in_the_parent():
    #  root  0────────────────100
    #  a        10────40
    #  b                 50────90
    result = analyse(_spans(("root", None, 0, 100), ("a", "root", 10, 40), ("b", "root", 50, 90)))
    assert result.sections == [
        Section("root", 90, 100), Section("b", 50, 90), Section("root", 40, 50),
        Section("a", 10, 40), Section("root", 0, 10),
    ]  # fmt: skip
    assert result.self_ms == {"root": 30, "a": 30, "b": 40}
    assert result.critical_ms == {"root": 30, "a": 30, "b": 40}


def test_of_children_that_ran_in_parallel_only_the_one_that_finished_last_is_on_the_path():
    #  root  0───────────100
    #  fast     10──30
    #  slow     10──────80
    result = analyse(_spans(("root", None, 0, 100), ("fast", "root", 10, 30), ("slow", "root", 10, 80)))
    assert set(result.critical_ms) == {"root", "slow"}
    assert result.critical_ms["slow"] == 70
    # The parent worked only when neither child ran: 0-10 and 80-100.
    assert result.self_ms["root"] == 30
    assert result.self_ms["fast"] == 20


def test_a_child_that_outlived_its_parent_is_cut_to_the_parents_end():
    #  root  0──────50
    #  late     20─────────90   (an async child: ends after its parent)
    result = analyse(_spans(("root", None, 0, 50), ("late", "root", 20, 90)))
    assert result.sections == [Section("late", 20, 50), Section("root", 0, 20)]
    assert result.self_ms["root"] == 20
    assert result.self_ms["late"] == 70  # its own duration: it has no children


def test_a_child_wholly_outside_its_parent_is_not_on_the_path():
    result = analyse(_spans(("root", None, 0, 50), ("after", "root", 60, 90)))
    assert result.sections == [Section("root", 0, 50)]
    assert result.self_ms["root"] == 50


def test_the_path_goes_down_through_the_last_finishing_descendants():
    # backend → client call → users-api: the slow lookup sets the trace's duration.
    result = analyse(_spans(
        ("server", None, 0, 250), ("lookup", "server", 5, 240), ("client", "lookup", 10, 235),
        ("users", "client", 20, 230), ("activities", "server", 1, 4),
    ))  # fmt: skip
    # The short call before the lookup ran in sequence with it: on the path too, as in Jaeger.
    assert set(result.critical_ms) == {"server", "lookup", "client", "users", "activities"}
    assert result.critical_ms["users"] == 210
    assert sum(result.critical_ms.values()) == 250  # the sections cover the root's duration once


def test_a_span_whose_parent_is_missing_starts_a_tree_of_its_own_off_the_path():
    result = analyse(_spans(("root", None, 0, 100), ("child", "root", 10, 60), ("orphan", "gone", 20, 300)))
    assert set(result.critical_ms) == {"root", "child"}
    assert result.self_ms["orphan"] == 280


def test_without_a_root_the_earliest_orphan_tree_is_walked():
    result = analyse(_spans(("a", "gone", 10, 50), ("b", "gone", 0, 40), ("c", "b", 5, 35)))
    assert set(result.critical_ms) == {"b", "c"}


def test_children_ending_at_the_same_time_as_their_parent_leave_no_empty_sections():
    result = analyse(_spans(("root", None, 0, 100), ("all", "root", 0, 100)))
    assert result.sections == [Section("all", 0, 100)]
    assert result.self_ms == {"root": 0, "all": 100}


def test_overlapping_children_count_once_in_their_parents_self_time():
    result = analyse(_spans(("root", None, 0, 100), ("a", "root", 10, 60), ("b", "root", 40, 80)))
    assert result.self_ms["root"] == 30  # busy 10..80


def test_hostile_shapes_end_without_errors():
    deep = [("s0", None, 0, 10_000)] + [(f"s{i}", f"s{i - 1}", i, 10_000 - i) for i in range(1, 5000)]
    result = analyse(_spans(*deep))  # deeper than Python's recursion limit
    assert len(result.critical_ms) == 5000
    # Wide: 20,000 children one after another, each on the path with the gap before it.
    wide = analyse(_spans(("r", None, 0, 200_000), *((f"c{i}", "r", i * 10, i * 10 + 5) for i in range(20_000))))
    assert len(wide.sections) == 40_000 and wide.critical_ms["r"] == 100_000
    loop = analyse(_spans(("a", "b", 0, 10), ("b", "a", 0, 10)))  # a cycle: no root, no path
    assert loop.sections == [] and set(loop.self_ms) == {"a", "b"}
    same = analyse(_spans(("x", None, 0, 10), ("x", "x", 0, 5), ("y", "x", 2, 3)))  # duplicate ids
    assert same.sections
    empty = analyse([])
    assert empty.sections == [] and empty.self_ms == {}
