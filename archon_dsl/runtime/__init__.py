"""The only code that talks to model providers: calls, limits, retries, cache, executor, batch runs."""
