"""ExeDec part 2: the spec transformers, their training data and the neural searches."""
