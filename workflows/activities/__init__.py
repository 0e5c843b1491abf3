"""Activities, grouped by the service whose API they call."""
