"""Identities: user JWTs from the portal, agent logins with argon2 and expiring tokens."""

from __future__ import annotations

import functools
import re
import time
import uuid
from dataclasses import dataclass, field

import jwt
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bridge.domain.portal_keys import PortalKeys
from core.errors import ApiError
from core.settings import Settings
from core.tokens import bearer_token

USER_ROLES = ("user",)
DESK_ROLES = ("agent", "supervisor", "trainer", "admin")
# offline helpers (窗口帮办, 帮办员, 帮办领导干部): KB reading and their own ledger items, nothing of the desk
OFFLINE_ROLES = ("window_staff", "volunteer", "official")
STAFF_ROLES = DESK_ROLES + OFFLINE_ROLES
USER_KINDS = ("person", "enterprise")
CHANNELS = ("pc", "app", "wechat", "alipay", "kiosk")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a portal user or a staff member."""

    id: str
    role: str
    name: str
    kind: str = ""
    channel: str = ""
    departments: tuple[str, ...] = field(default_factory=tuple)
    expires_at: float = field(default=0.0, compare=False)  # token expiry (epoch s), 0 unknown
    openid: str = field(default="", compare=False, repr=False)  # the mini-program's OpenID (claim `openid`)
    phone: str = field(default="", compare=False, repr=False)  # a verified mobile number (`phone` + `phone_verified`)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def public(self) -> dict:
        return {"id": self.id, "name": self.name}


class AuthError(Exception):
    """Token refused; `code` is `unauthorized` or `token_expired`."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def dummy_hash() -> str:
    """A hash no password matches, verified for unknown usernames so they cost the same time."""
    return _hasher.hash(uuid.uuid4().hex)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a password is too weak, or None."""
    if len(password) < 10 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "weak_password"
    return None


class TokenService:
    """Issue and verify the JWTs of users (portal) and staff (this service)."""

    ISSUER = "bangban"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.portal = PortalKeys(settings.portal_public_key, settings.portal_jwks)

    def issue_user(self, sub: str, name: str, kind: str, channel: str, ttl_s: int | None = None,
                   contact: dict | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": sub, "name": name, "kind": kind, "channel": channel, "typ": "user",
            "iat": now, "exp": now + (ttl_s or self.settings.user_token_ttl_s), "jti": uuid.uuid4().hex,
            **(contact or {}),  # openid, phone, phone_verified (as the portal's tokens carry them)
        }
        return jwt.encode(claims, self.settings.token_secret, algorithm="HS256")

    def issue_staff(self, agent: dict, ttl_s: int | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": agent["_id"], "name": agent["name"], "role": agent["role"], "typ": "staff",
            "deps": list(agent.get("departments", [])), "iss": self.ISSUER,
            "iat": now, "exp": now + (ttl_s or self.settings.agent_token_ttl_s), "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.settings.token_secret, algorithm="HS256")

    def verify(self, token: object) -> Principal:
        """Decode a token into a Principal or raise AuthError."""
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise AuthError("unauthorized", "missing token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("unauthorized", "malformed token") from exc
        alg = header.get("alg")
        try:
            if alg == "HS256":
                claims = jwt.decode(
                    token, self.settings.token_secret, algorithms=["HS256"],
                    options={"require": ["exp", "sub"]},
                )
            elif alg == "RS256" and self.portal.configured:
                claims = self._portal_claims(token, header.get("kid"))
            else:
                raise AuthError("unauthorized", f"algorithm {alg!r} not accepted")
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token_expired", "token expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("unauthorized", "invalid token") from exc
        return self._principal(claims)

    def _portal_claims(self, token: str, kid: object) -> dict:
        """The claims of a portal token: its key by `kid`, and its issuer and audience when configured."""
        key = self.portal.key_for(kid if isinstance(kid, str) else None)
        if key is None:
            raise AuthError("unauthorized", "unknown portal key")
        s = self.settings
        required = ["exp", "sub"] + (["iss"] if s.portal_issuer else []) + (["aud"] if s.portal_audience else [])
        claims = jwt.decode(token, key, algorithms=["RS256"], issuer=s.portal_issuer or None,
                            audience=s.portal_audience or None, options={"require": required})
        claims["typ"] = "user"
        return claims

    @staticmethod
    def _principal(claims: dict) -> Principal:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise AuthError("unauthorized", "bad subject")
        if claims.get("typ") == "staff":
            role = claims.get("role")
            if role not in STAFF_ROLES:
                raise AuthError("unauthorized", "bad role")
            return Principal(
                id=sub, role=role, name=str(claims.get("name", "")),
                departments=tuple(str(d) for d in claims.get("deps", [])), expires_at=float(claims["exp"]),
            )
        if claims.get("typ") != "user":
            raise AuthError("unauthorized", "bad token type")
        kind = claims.get("kind") if claims.get("kind") in USER_KINDS else "person"
        channel = claims.get("channel") if claims.get("channel") in CHANNELS else "app"
        return Principal(id=sub, role="user", name=str(claims.get("name", ""))[:64], kind=kind, channel=channel,
                         expires_at=float(claims["exp"]), **contact_claims(claims))

    def from_request(self, request: web.Request) -> Principal:
        """The caller of an HTTP request (Bearer token) or an ApiError 401."""
        try:
            return self.verify(bearer_token(request) or "")
        except AuthError as exc:
            raise ApiError(401, exc.code) from exc


_OPENID = re.compile(r"^[A-Za-z0-9_\-]{6,128}$")
_MOBILE = re.compile(r"^1\d{10}$")


def contact_claims(claims: dict) -> dict[str, str]:
    """`openid` and a verified `phone` of a citizen's token (docs/notifications.md), when well formed."""
    out = {}
    if isinstance(claims.get("openid"), str) and _OPENID.match(claims["openid"]):
        out["openid"] = claims["openid"]
    if claims.get("phone_verified") is True and isinstance(claims.get("phone"), str) and _MOBILE.match(claims["phone"]):
        out["phone"] = claims["phone"]
    return out
