"""Pages of list answers and the selections kept for the next pages of trace summaries."""

import pytest

from obslab_xray import paging
from obslab_xray.paging import PAGE_SIZE, InvalidToken, Selections


def test_pages_of_a_list_follow_their_offset_tokens():
    items = list(range(PAGE_SIZE + 5))
    first, token = paging.page(items, None)
    assert first == items[:PAGE_SIZE] and token == str(PAGE_SIZE)
    assert paging.page(items, token) == (items[PAGE_SIZE:], None)


@pytest.mark.parametrize("token", ["x", "-1", "1:2"])
def test_a_token_that_is_no_offset_is_refused(token):
    with pytest.raises(InvalidToken):
        paging.page([1, 2], token)


def test_a_small_selection_fits_one_page_and_is_not_kept():
    selections = Selections()
    assert selections.first_page(["a", "b"], processed=7) == (["a", "b"], 7, None)
    assert not selections._kept


def test_next_pages_come_from_the_selection_as_it_was():
    selections, selected = Selections(), [f"trace {n}" for n in range(2 * PAGE_SIZE + 1)]
    pages, (page, processed, token) = [], selections.first_page(selected, processed=500)
    selected.insert(0, "arrived later")  # not in the query's answer: its pages must not shift
    while True:
        pages += page
        assert processed == 500
        if token is None:
            break
        page, processed, token = selections.next_page(token)
    assert pages == [f"trace {n}" for n in range(2 * PAGE_SIZE + 1)]


def test_a_token_of_a_selection_no_longer_kept_is_refused(monkeypatch):
    monkeypatch.setattr(paging, "KEPT_SELECTIONS", 2)
    selections, selected = Selections(), list(range(PAGE_SIZE + 1))
    tokens = [selections.first_page(selected, 0)[2] for _ in range(3)]
    assert selections.next_page(tokens[2])[0] == [PAGE_SIZE]
    with pytest.raises(InvalidToken, match="expired"):
        selections.next_page(tokens[0])
    with pytest.raises(InvalidToken):
        selections.next_page(tokens[2].replace(f":{PAGE_SIZE}", ":many"))
