"""Item storage."""
