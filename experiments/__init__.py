# This is nslab.experiments, through the link src/nslab/experiments. Imported by its folder's name
# from the checkout, its modules would exist twice, with classes that are not each other.
if __name__ != "nslab.experiments":
    raise ImportError(f"import nslab.experiments, not {__name__}")
