"""Portal RS256 tokens through a real bridge: issuer, audience, keys from a JWKS file by kid, rotation."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ops.system import System
from tests.integration.systems import harness, start_own_system

ISSUER, AUDIENCE = "https://id.sh.gov.cn", "bangban"
JWKS = Path(tempfile.mkdtemp(prefix="bangban-jwks-")) / "portal-jwks.json"
KEYS = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("k1", "k2")}


def publish(*kids: str) -> None:
    keys = [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEYS[k].public_key())), "kid": k, "use": "sig"}
            for k in kids]
    tmp = JWKS.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": keys}))
    tmp.replace(JWKS)


def token(kid: str, **claims) -> str:
    body = {"sub": "portal-7", "name": "王五", "channel": "wechat", "iss": ISSUER, "aud": AUDIENCE,
            "exp": int(time.time()) + 300, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, KEYS[kid], algorithm="RS256",
                      headers={"kid": kid})


@pytest.fixture(scope="module")
def portal_system() -> System:
    publish("k1")
    system = start_own_system("portal", bridges=1, PORTAL_JWKS=str(JWKS), PORTAL_ISSUER=ISSUER,
                              PORTAL_AUDIENCE=AUDIENCE)
    yield system
    system.stop()


async def test_portal_tokens_need_issuer_audience_and_a_published_key(portal_system: System):
    h = harness(portal_system)
    try:
        status, me = await h.http("GET", "/api/v1/me", token=token("k1"))
        assert status == 200 and me["id"] == "portal-7" and me["role"] == "user", me
        for bad in (token("k1", aud="another-service"), token("k1", iss="https://evil.example"),
                    token("k1", aud=None), token("k1", iss=None), token("k2")):
            status, body = await h.http("GET", "/api/v1/me", token=bad)
            assert status == 401 and body["error"]["code"] == "unauthorized", body
        # rotation: the portal publishes k2 and retires k1; the running bridge follows without a restart
        publish("k1", "k2")
        assert (await h.http("GET", "/api/v1/me", token=token("k2")))[0] == 200
        publish("k2")
        assert (await h.http("GET", "/api/v1/me", token=token("k1")))[0] == 401
        assert (await h.http("GET", "/api/v1/me", token=token("k2")))[0] == 200
    finally:
        await h.store.close()
