"""Pages of list answers (PAGE_SIZE items, NextToken for the rest), and the selections kept for
the next pages of trace summaries."""

import uuid
from collections import OrderedDict

PAGE_SIZE = 100
# Trace summary queries whose selected traces are kept for their next pages.
KEPT_SELECTIONS = 32


class InvalidToken(ValueError):
    """A NextToken this module did not give, or one whose selection is no longer kept."""


def page(items: list | tuple, token: str | None) -> tuple[list | tuple, str | None]:
    """The page of `items` a NextToken (an offset) asks for, and the token of the next one."""
    offset = _offset(token or "0")
    next_offset = offset + PAGE_SIZE
    return items[offset:next_offset], (str(next_offset) if next_offset < len(items) else None)


def _offset(text: str) -> int:
    try:
        offset = int(text)
    except ValueError:
        raise InvalidToken("NextToken is not valid") from None
    if offset < 0:
        raise InvalidToken("NextToken is not valid")
    return offset


class Selections:
    """What a query selected, kept for its next pages: those pages then neither run the filter
    expression over every trace again nor shift as new traces arrive. Tokens look like
    `<selection>:<offset>`; the most recent KEPT_SELECTIONS selections are kept."""

    def __init__(self):
        self._kept: OrderedDict[str, tuple[tuple, int]] = OrderedDict()

    def first_page(self, selected: list, processed: int) -> tuple[list, int, str | None]:
        """(first page, traces processed, next token) of a new query's selection."""
        if len(selected) <= PAGE_SIZE:
            return selected, processed, None
        key = uuid.uuid4().hex[:16]
        self._kept[key] = (tuple(selected), processed)
        while len(self._kept) > KEPT_SELECTIONS:
            self._kept.popitem(last=False)
        return selected[:PAGE_SIZE], processed, f"{key}:{PAGE_SIZE}"

    def next_page(self, token: str) -> tuple[list, int, str | None]:
        """(page, traces processed, next token) of a kept selection."""
        key, _, offset_text = token.partition(":")
        kept = self._kept.get(key)
        if kept is None:
            raise InvalidToken("NextToken is not valid or has expired: ask again without it")
        selected, processed = kept
        items, next_offset = page(selected, offset_text)
        return list(items), processed, (f"{key}:{next_offset}" if next_offset else None)
