# This is nslab.store, through the link src/nslab/store. Imported by its folder's name
# from the checkout, its modules would exist twice, with classes that are not each other.
if __name__ != "nslab.store":
    raise ImportError(f"import nslab.store, not {__name__}")
