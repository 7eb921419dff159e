"""What the clerk does, shared by the app and the CLI: editing, search, revisions, reports."""
