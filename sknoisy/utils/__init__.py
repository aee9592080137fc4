"""Internal helpers of sknoisy: the docstring-template helper, torch seeding
and the indexed data that carries sample indices through skorch. Nothing here
is public API."""

__all__ = []
