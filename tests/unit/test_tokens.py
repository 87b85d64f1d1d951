"""Token service: HS256 users and staff, RS256 tokens of the portal's identity service, refusals."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.domain.auth import AuthError, TokenService
from core.settings import load_settings


@pytest.fixture
def keys():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, pem_public


@pytest.fixture
def tokens(keys, tmp_path, monkeypatch):
    monkeypatch.setenv("BANGBAN_VAR", str(tmp_path))
    settings = load_settings().model_copy(update={"token_secret": "s" * 48, "portal_public_key": keys[1]})
    return TokenService(settings)


def test_user_and_staff_round_trip(tokens):
    p = tokens.verify(tokens.issue_user("u1", "张三", "enterprise", "alipay"))
    assert (p.id, p.role, p.kind, p.channel) == ("u1", "user", "enterprise", "alipay")
    staff = tokens.verify(tokens.issue_staff({"_id": "a1", "name": "王芳", "role": "supervisor",
                                              "departments": ["taxation"]}))
    assert staff.role == "supervisor" and staff.departments == ("taxation",)


def test_portal_rs256_token_is_accepted(tokens, keys):
    claims = {"sub": "portal-42", "name": "李四", "kind": "person", "channel": "wechat", "exp": int(time.time()) + 60}
    p = tokens.verify(jwt.encode(claims, keys[0], algorithm="RS256"))
    assert (p.id, p.role, p.channel) == ("portal-42", "user", "wechat")


def test_rs256_token_cannot_claim_staff_role(tokens, keys):
    claims = {"sub": "x", "typ": "staff", "role": "admin", "exp": int(time.time()) + 60}
    p = tokens.verify(jwt.encode(claims, keys[0], algorithm="RS256"))
    assert p.role == "user"


@pytest.mark.parametrize("make", [
    lambda k: jwt.encode({"sub": "u", "typ": "user", "exp": int(time.time()) + 60}, "wrong" * 10, algorithm="HS256"),
    lambda k: jwt.encode({"sub": "u", "typ": "user", "exp": int(time.time()) + 60}, None, algorithm="none"),
    lambda k: jwt.encode({"sub": "u", "typ": "user"}, "s" * 48, algorithm="HS256"),  # no expiry
    lambda k: jwt.encode({"sub": "u", "typ": "staff", "role": "root", "exp": int(time.time()) + 60}, "s" * 48,
                         algorithm="HS256"),
    lambda k: "not-a-token",
    lambda k: "",
])
def test_forged_or_malformed_tokens_are_refused(tokens, keys, make):
    with pytest.raises(AuthError) as err:
        tokens.verify(make(keys))
    assert err.value.code == "unauthorized"


def test_expired_token_says_so(tokens):
    old = jwt.encode({"sub": "u", "typ": "user", "exp": int(time.time()) - 5}, "s" * 48, algorithm="HS256")
    with pytest.raises(AuthError) as err:
        tokens.verify(old)
    assert err.value.code == "token_expired"
