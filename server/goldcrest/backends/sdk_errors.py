"""What a cloud SDK's exception means to the user, for the OpenAI and Anthropic SDKs alike.

Both SDKs are generated from the same template and name their exception classes the same way,
so one mapping serves both: pass the SDK module.
"""

from __future__ import annotations

from types import ModuleType


def describe(sdk: ModuleType, exc: BaseException, model: str, base_url: str) -> str:
    """What went wrong and what to do, in words a user can act on (never the key)."""
    where = f"{model} at {base_url}"
    if isinstance(exc, sdk.APITimeoutError | TimeoutError):
        return f"{where} did not answer in time. Try again, or raise the tier's timeout_s."
    if isinstance(exc, sdk.APIConnectionError):
        return f"Could not reach {base_url}. Check the tier's base_url and the network."
    if isinstance(exc, sdk.AuthenticationError | sdk.PermissionDeniedError):
        return f"{base_url} refused the API key. Check the tier's api_key_env."
    if isinstance(exc, sdk.NotFoundError):
        return f"{base_url} has no model {model}. Check the tier's model name."
    if isinstance(exc, sdk.RateLimitError):
        return f"{where} is rate-limiting or out of quota. Goldcrest stays local meanwhile."
    if isinstance(exc, sdk.APIStatusError):
        return f"{where} failed with HTTP {exc.status_code}. Try again later."
    return f"{where} failed: {type(exc).__name__}."


def transient(sdk: ModuleType, exc: BaseException) -> bool:
    """Whether trying again soon may help (not for a bad key, model or request)."""
    permanent = (
        sdk.AuthenticationError
        | sdk.PermissionDeniedError
        | sdk.NotFoundError
        | sdk.BadRequestError
    )
    return not isinstance(exc, permanent)
