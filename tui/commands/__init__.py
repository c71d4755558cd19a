"""The `nslab` commands, a module per group; `nslab.tui.cli` assembles them into the app."""
