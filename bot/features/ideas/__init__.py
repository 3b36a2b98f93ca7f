"""The idea box: ideas and sensitive feedback, their status and texts."""
