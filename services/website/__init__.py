"""The public website: a read model built only from bus events."""
