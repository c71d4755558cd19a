"""Filtering and sorting the runs list: `status:running kind:probe tag:paper sweep:s1 words`."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from nslab.core.status import RunStatus
from nslab.store.index import RunDoc

SORT_ORDERS = ("newest", "oldest", "name", "status", "kind", "sweep")
FIELD_PREFIXES = ("status", "kind", "tag", "sweep")


@dataclass(frozen=True)
class RunFilter:
    statuses: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    sweeps: frozenset[str] = frozenset()
    words: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> RunFilter:
        """`status:a,b kind:k tag:t` narrow by field (commas mean or); other words match text."""
        fields: dict[str, set[str]] = {prefix: set() for prefix in FIELD_PREFIXES}
        words = []
        for token in text.split():
            prefix, sep, value = token.partition(":")
            if sep and prefix.lower() in fields and value:
                fields[prefix.lower()].update(v for v in value.split(",") if v)
            else:
                words.append(token.lower())
        return cls(
            frozenset(fields["status"]),
            frozenset(fields["kind"]),
            frozenset(fields["tag"]),
            frozenset(fields["sweep"]),
            tuple(words),
        )

    def matches(self, doc: RunDoc) -> bool:
        if self.statuses and doc["status"] not in self.statuses:
            return False
        if self.kinds and doc["kind"] not in self.kinds:
            return False
        tags = doc.get("tags") or []
        if self.tags and not self.tags <= set(tags):
            return False
        if self.sweeps and doc.get("sweep") not in self.sweeps:
            return False
        if self.words:
            haystack = " ".join(
                [
                    doc["id"],
                    doc.get("name") or "",
                    doc["kind"],
                    doc["status"],
                    doc.get("sweep") or "",
                    *tags,
                ]
            ).lower()
            return all(word in haystack for word in self.words)
        return True

    def __bool__(self) -> bool:
        return bool(self.statuses or self.kinds or self.tags or self.sweeps or self.words)


def filter_hint(text: str) -> str | None:
    """One line for the first `field:value` that cannot match as meant (an unknown field,
    an unknown status), with the choices and a did-you-mean; None when all are fine.

    Such a token is still searched as text, so the list shows why it is empty.
    """
    for token in text.split():
        prefix, sep, value = token.partition(":")
        if not sep or not prefix.isalpha():
            continue
        field_name = prefix.lower()
        if field_name not in FIELD_PREFIXES:
            return _unknown("field", "fields", field_name, FIELD_PREFIXES)
        if field_name == "status":
            statuses = [status.value for status in RunStatus]
            for status in (v for v in value.split(",") if v):
                if status not in statuses:
                    return _unknown("status", "statuses", status, statuses)
    return None


def _unknown(what: str, plural: str, given: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(given, choices, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {what} '{given}' ({plural}: {', '.join(choices)}){hint}"


def sort_runs(docs: list[RunDoc], order: str) -> list[RunDoc]:
    """Runs in `order`; docs arrive newest first, which every other order breaks ties by.

    `sweep` groups the runs of each sweep together (runs outside a sweep first).
    """
    if order == "oldest":
        return docs[::-1]
    if order in ("name", "status", "kind", "sweep"):
        return sorted(docs, key=lambda doc: str(doc.get(order) or ""))
    return docs
