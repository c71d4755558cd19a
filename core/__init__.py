# This is nslab.core, through the link src/nslab/core. Imported by its folder's name
# from the checkout, its modules would exist twice, with classes that are not each other.
if __name__ != "nslab.core":
    raise ImportError(f"import nslab.core, not {__name__}")
