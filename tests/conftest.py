"""Test-wide settings."""

import os

# litellm fetches its price list over the network at import unless told not to;
# whichever test imports it first must find this already set.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
