"""Watch committees: committees, members, reports, the one-SMS grammar, urgent alerts, ``hanya
committee``.
"""
