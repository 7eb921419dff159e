"""tracker: an offline, keyboard-driven tracker for a district's 政务公开 work plan."""
