# This is nslab.tui, through the link src/nslab/tui. Imported by its folder's name
# from the checkout, its modules would exist twice, with classes that are not each other.
if __name__ != "nslab.tui":
    raise ImportError(f"import nslab.tui, not {__name__}")
