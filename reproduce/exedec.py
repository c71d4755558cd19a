"""ExeDec's symbolic searches on DeepCoder (Shi et al. 2024): `nslab reproduce exedec`.

    .venv/bin/python reproduce/exedec.py [--preset default] [--seeds 5 | --seed-list 0,3,7]
        [--detach] [--json | --markdown]

The seeds run as one sweep through the engine; the report gives, per figure, the published
value, each seed's value against the bar and k/n seeds meeting it (`nslab reproduce --help`).
"""

from __future__ import annotations

import sys

from nslab.tui.cli import main

if __name__ == "__main__":
    sys.argv = ["nslab", "reproduce", "exedec", *sys.argv[1:]]
    main()
