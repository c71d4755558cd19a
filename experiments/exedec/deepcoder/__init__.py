"""The DeepCoder domain: integer-list programs, their generation, tokens and searches."""
