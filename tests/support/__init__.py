"""Test support: a loopback OpenAI-compatible server and the provider benchmark."""
