"""The loopback OpenAI-compatible server every runtime test drives the real litellm path through."""

import pytest

from tests.support.openai_server import OpenAIServer


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as running:
        yield running
