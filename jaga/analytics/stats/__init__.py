"""Statistics of the analytics app: pure functions on numpy arrays, no database access.

Each module is small and tested against known answers (hand computations, statsmodels or scipy on
the same input, generated data with a planted effect); docs/analytics.md says what each can claim.
"""
