"""miauflix."""
