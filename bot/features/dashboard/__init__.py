"""The dashboard's domain: users, sign-in, indicators, exports, ``hanya user``."""
