"""The plan's vocabulary: items, units, deadlines. Knows no storage and no screen."""
