"""The application: the runtime, the handling process, the CLI, key rotation and retention,
which wire every layer together.
"""
