"""Values worked out once and looked up after, with a bound on how many are kept.

A million-ticket run meets the same few splits, durations, draws and bills over and over;
looking one up costs less than building it again. ``Memo`` is a ``dict`` (so a lookup is the
plain ``memo.get(key)``, as fast as a dict's) that starts again empty when it holds ``limit``
values, so memory stays flat whatever the run meets.
"""

from __future__ import annotations

from typing import TypeVar

V = TypeVar("V")


class Memo(dict):
    __slots__ = ("limit",)

    def __init__(self, limit: int = 4096):
        super().__init__()
        self.limit = limit

    def keep(self, key: object, value: V) -> V:
        """Remember ``value`` under ``key`` and give it back."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
