"""Example experiments that ship with nslab, so the README's tour runs from any folder.

Each is a complete one-file plugin: copy one beside your code as the start of your own
and load it with `nslab --plugin FILE.py` (or `$NSLAB_PLUGINS`).
"""
