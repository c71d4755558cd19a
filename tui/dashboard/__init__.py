"""The Textual dashboard (`nslab dash`): screens over the store, fed by a reading thread."""
