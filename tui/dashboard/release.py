"""Letting go of replaced listings off the UI thread, a slice at a time.

A listing of 100,000 runs is about a million objects. The thread that drops the last
reference to it frees them all in one go (about 100 ms), holding the interpreter, and so
the UI thread, meanwhile. The app hands each listing it replaces to a `ListingRelease`;
the feed's thread frees it once nothing else refers to it (a screen's view, a view
worker), in slices short enough that the UI thread waits for one slice at most.
"""

from __future__ import annotations

import sys
import threading
import time

from nslab.tui.dashboard.listing import EMPTY_LISTING, RunListing

# Runs freed per slice: 1-3 ms of work (100,000 runs free in 100-270 ms here).
RUNS_PER_SLICE = 512


class ListingRelease:
    """Listings the UI has replaced, kept until they can be freed without it waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retired: list[RunListing] = []

    def retire(self, listing: RunListing) -> None:
        """Hand over a listing the app no longer shows (called on the UI thread)."""
        if listing is not EMPTY_LISTING:
            with self._lock:
                self._retired.append(listing)

    def release_unreferenced(self) -> int:
        """Free each retired listing that nothing else refers to any more, slice by slice
        (called off the UI thread); returns how many were freed."""
        with self._lock:
            retired, self._retired = self._retired, []
        still_held: list[RunListing] = []
        freed = 0
        while retired:
            listing = retired.pop()
            # Two references: `listing` and getrefcount's own argument. Any other is a
            # holder's, which would free the runs itself, on its own thread, if its
            # reference were the last.
            if sys.getrefcount(listing) == 2:
                for _ in listing.dismantle(RUNS_PER_SLICE):
                    # Lets a waiting thread (the UI's) take the interpreter.
                    time.sleep(0)
                freed += 1
            else:
                still_held.append(listing)
        with self._lock:
            self._retired.extend(still_held)
        return freed
