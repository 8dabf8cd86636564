"""The page core: the one function from captured bytes to an item, the stages after it, the extraction pool."""
