"""Alipay's RSA2 (SHA256withRSA) signatures: the signed content of request parameters, sign and verify.

The signed content is every parameter except `sign`, with a non-empty value, sorted by name and joined
as `k=v` with `&` (values as they are, not URL-encoded), in UTF-8. A response is verified over the exact
text of its `<method>_response` node as Alipay sent it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def signing_content(params: Mapping[str, str], exclude: tuple[str, ...] = ("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in ("", None))


def private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def sign(key: rsa.RSAPrivateKey, content: str) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of `content`."""
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(key: rsa.RSAPublicKey, content: str, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), content.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def response_node(text: str, node: str) -> str | None:
    """The exact text of the JSON value of `node` in a response body (what Alipay signed), or None."""
    marker = f'"{node}"'
    at = text.find(marker)
    if at < 0:
        return None
    colon = text.find(":", at + len(marker))
    start = colon + 1
    while start < len(text) and text[start] in " \t\r\n":
        start += 1
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError:
        return None
    return text[start:end]


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh 2048-bit key pair as (private PEM, public PEM): development keys only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return priv, pub
