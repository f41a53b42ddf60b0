"""The scoring server's authentication: which token it needs, and whether a request carries it.

The rule is the project's: servers answer only authenticated requests. A token is optional on a
loopback bind (only this machine can connect, and MLflow's clients send no credentials), and
required anywhere else; with a token, requests carry ``Authorization: Bearer TOKEN`` (or
``token TOKEN``, as Jupyter accepts), compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets

from mlops_jupyter import env
from mlops_jupyter.errors import InvalidArgumentError

#: Routes anyone may GET, token or not: liveness probes (load balancers send no credentials).
OPEN_ROUTES = ("/ping", "/health")

_SCHEME = re.compile(r"\s*(bearer|token)\s+(\S+)\s*$", re.IGNORECASE)
_VALID = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what an HTTP header carries unchanged


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def checked_token(token: str | None) -> str | None:
    """`token` if it can travel in a header, None when empty; else one error naming the fix."""
    if token is None or not token.strip():
        return None
    token = token.strip()
    if not _VALID.fullmatch(token):
        raise InvalidArgumentError(
            "the serving token must be visible ASCII with no spaces (it travels in the "
            "Authorization header); use --generate-token for a safe one"
        )
    return token


def require_token_off_loopback(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token (InvalidArgumentError, the fix)."""
    if token is None and not is_loopback(host):
        raise InvalidArgumentError(
            f"refusing to serve on {host} without authentication: give --token TOKEN (or set "
            f"{env.SERVE_TOKEN}), or --generate-token, or bind 127.0.0.1"
        )


def serve_token(host: str, given: str | None, generate: bool) -> tuple[str | None, bool]:
    """The token `models serve` uses and whether it was generated: `given` (else the
    environment), a fresh one when `generate`, refused when none and `host` is not loopback."""
    if generate:
        return secrets.token_urlsafe(32), True
    token = checked_token(given if given is not None else env.get(env.SERVE_TOKEN))
    if given is not None and token is None:
        raise InvalidArgumentError("--token is empty: give a token, or use --generate-token")
    require_token_off_loopback(host, token)
    return token, False


def auth_failure(header: str | None, token: str) -> tuple[int, str, str] | None:
    """None when the Authorization `header` carries `token`; else (status, error code, message)."""
    match = _SCHEME.match(header or "")
    if match is None:
        return (
            401,
            "UNAUTHENTICATED",
            "this server needs a token: send the header 'Authorization: Bearer TOKEN' "
            "(the token `models serve` was given or printed)",
        )
    if not hmac.compare_digest(match.group(2).encode(), token.encode()):
        return (
            403,
            "PERMISSION_DENIED",
            "the token in the Authorization header is wrong: send the token `models serve` "
            f"was given (--token or {env.SERVE_TOKEN}) or printed (--generate-token)",
        )
    return None
