"""Conversations, channel-neutral: each module is one conversation with a table of steps."""
