"""The publishing service: documents, their editions and their publication."""
