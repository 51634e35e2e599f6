"""API keys: where each call's key comes from, checked before the first call, and kept out of everything we write.

One module per job: .env files (envfile), which key goes where (policy), the check before the
first call (preflight) and redaction of what is written (redaction). Import from here.
"""

from __future__ import annotations

from .envfile import load_env_file, parse_env
from .policy import (
    PROVIDER_HOSTS,
    PROVIDER_KEYS,
    Credential,
    api_base_of,
    credential,
    credential_for,
    host_of,
    inherits_key_at_custom_host,
    is_custom_host,
    is_loopback,
)
from .preflight import MissingCredentials, models_of, require_credentials, require_space_credentials
from .redaction import REDACTED, REDACTOR, Redactor, is_secret_name, redact, redact_data

__all__ = [
    "PROVIDER_HOSTS",
    "PROVIDER_KEYS",
    "REDACTED",
    "REDACTOR",
    "Credential",
    "MissingCredentials",
    "Redactor",
    "api_base_of",
    "credential",
    "credential_for",
    "host_of",
    "inherits_key_at_custom_host",
    "is_custom_host",
    "is_loopback",
    "is_secret_name",
    "load_env_file",
    "models_of",
    "parse_env",
    "redact",
    "redact_data",
    "require_credentials",
    "require_space_credentials",
]
