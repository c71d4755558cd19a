"""Deep Thinking on prefix sums (Bansal et al. 2022; Salle & Malmasi 2023).

`nslab reproduce deep-thinking`:

    .venv/bin/python reproduce/deep_thinking.py [--preset default] [--seeds 5 | --seed-list 0,3,7]
        [--detach] [--json | --markdown]

The seeds run as one sweep through the engine; the report gives, per figure, the published
value, each seed's value against the bar and k/n seeds meeting it (`nslab reproduce --help`).
"""

from __future__ import annotations

import sys

from nslab.tui.cli import main

if __name__ == "__main__":
    sys.argv = ["nslab", "reproduce", "deep-thinking", *sys.argv[1:]]
    main()
