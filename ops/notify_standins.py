"""Development stand-ins of the four notification services, speaking their request shapes and error codes.

`python -m ops.notify_standins --port 8092 --keys var/notify` serves, on one port:
- `/wechat`: `GET /cgi-bin/token` (appid/secret → access_token, expires_in) and `POST
  /cgi-bin/message/subscribe/send?access_token=` (40001 for an unknown or expired token, 40003 without
  touser, 43101 for a citizen who refused, 47003 for a template or field WeChat would refuse);
- `/alipay/gateway.do`: the open API gateway (the RSA2 signature checked with the app's public key,
  `isv.invalid-signature` otherwise; the answer node signed with the platform's private key);
- `/push/v1/messages` and `/sms/v1/sms`: HMAC-signed JSON (core/signatures.py), deduplicated on the
  Idempotency-Key, code 0 / 1001 / 2001.
Test controls under `/admin`: `GET received?provider=` (what arrived, once per key, and how many requests),
`POST fail {provider, times, status | errcode}` (the next requests fail), `POST expire-token`,
`POST refuse {to}` (that citizen refuses), `POST reset`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bridge.domain.notify.templates import Templates, wechat_value
from bridge.infra.notify_providers import rsa2
from bridge.infra.notify_providers.alipay import METHOD, NODE
from core import signatures
from core.settings import ROOT, generated_secret

PROVIDERS = ("wechat", "alipay", "push", "sms")
WECHAT_APPID, ALIPAY_APP_ID = "wx0000devbangban", "2021000000000001"


def dev_keys(key_dir: Path) -> dict[str, Path]:
    """The development RSA pairs of the Alipay app and of the Alipay platform stand-in (made once)."""
    key_dir.mkdir(parents=True, exist_ok=True)
    paths = {f"{who}_{part}": key_dir / f"{who}_{part}.pem"
             for who in ("app", "alipay") for part in ("private", "public")}
    for who in ("app", "alipay"):
        if not paths[f"{who}_private"].exists():
            private, public = rsa2.new_key_pair()
            fd = os.open(paths[f"{who}_private"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(private)
            paths[f"{who}_public"].write_bytes(public)
    return paths


def standin_env(base_url: str, var_dir: Path) -> dict[str, str]:
    """The bridge's notification settings that point every provider at the stand-ins of `base_url`."""
    keys = dev_keys(var_dir / "notify")
    return {
        "WECHAT_API_URL": f"{base_url}/wechat", "WECHAT_APPID": WECHAT_APPID,
        "WECHAT_SECRET": generated_secret(var_dir, "wechat_secret"), "WECHAT_MINIPROGRAM_STATE": "developer",
        "ALIPAY_GATEWAY_URL": f"{base_url}/alipay/gateway.do", "ALIPAY_APP_ID": ALIPAY_APP_ID,
        "ALIPAY_APP_PRIVATE_KEY": str(keys["app_private"]), "ALIPAY_PUBLIC_KEY": str(keys["alipay_public"]),
        "PUSH_URL": f"{base_url}/push", "PUSH_SECRET": generated_secret(var_dir, "push_secret"),
        "SMS_URL": f"{base_url}/sms", "SMS_SECRET": generated_secret(var_dir, "sms_secret"),
    }


class Ledger:
    """What the stand-ins received, and the failures the tests asked for."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received: dict[str, list[dict]] = {p: [] for p in PROVIDERS}
        self.requests: dict[str, int] = dict.fromkeys(PROVIDERS, 0)
        self.failures: dict[str, list[dict]] = {p: [] for p in PROVIDERS}
        self.refused: set[str] = set()
        self.tokens: dict[str, float] = {}
        self.keys: set[str] = set()

    def injected(self, provider: str) -> dict | None:
        """The next failure asked for `provider` (used up), else None; counts the request."""
        self.requests[provider] += 1
        queue = self.failures[provider]
        return queue.pop(0) if queue else None

    def keep(self, provider: str, record: dict, key: str | None = None) -> bool:
        """Record a delivered message once per idempotency key; False for a repeat."""
        if key is not None:
            if key in self.keys:
                return False
            self.keys.add(key)
        self.received[provider].append({**record, "at": time.time()})
        return True


def wechat_routes(app: web.Application, ledger: Ledger, appid: str, secret: str, templates: Templates) -> None:
    fields = {own["template_id"]: set(own.get("data") or {}) for k in templates.kinds.values()
              if (own := k.get("wechat"))}

    async def token(request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != appid or q.get("secret") != secret:
            return web.json_response({"errcode": 40013 if q.get("appid") != appid else 40125,
                                      "errmsg": "invalid appid or appsecret"})
        value = secrets.token_urlsafe(24)
        ledger.tokens[value] = time.time() + 7200
        return web.json_response({"access_token": value, "expires_in": 7200})

    async def send(request: web.Request) -> web.Response:
        failure = ledger.injected("wechat")
        if failure and failure.get("status"):
            return web.json_response({"errmsg": "injected"}, status=failure["status"])
        if failure:
            return web.json_response({"errcode": failure.get("errcode", -1), "errmsg": "system error"})
        if ledger.tokens.get(request.query.get("access_token", ""), 0) < time.time():
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        problem = wechat_problem(body, fields)
        if problem:
            return web.json_response({"errcode": problem[0], "errmsg": problem[1]})
        if body["touser"] in ledger.refused:
            return web.json_response({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        ledger.keep("wechat", {"query": dict(request.query), "body": body})
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbits(40)})

    app.router.add_get("/wechat/cgi-bin/token", token)
    app.router.add_post("/wechat/cgi-bin/message/subscribe/send", send)


def wechat_problem(body: Any, fields: dict[str, set[str]]) -> tuple[int, str] | None:
    """The errcode WeChat answers a malformed `subscribe/send` body with, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("touser"), str) or not body["touser"]:
        return 40003, "invalid openid"
    template = body.get("template_id")
    if template not in fields:
        return 40037, "invalid template_id"
    data = body.get("data")
    if not isinstance(data, dict) or set(data) != fields[template]:
        return 47003, "argument invalid! data keys do not match the template"
    for key, value in data.items():
        if not isinstance(value, dict) or not isinstance(value.get("value"), str):
            return 47003, f"argument invalid! data.{key}.value"
        if wechat_value(key, value["value"]) != value["value"]:
            return 47003, f"argument invalid! data.{key}.value too long"
    if body.get("miniprogram_state") not in ("developer", "trial", "formal"):
        return 47003, "argument invalid! miniprogram_state"
    return None


def alipay_routes(app: web.Application, ledger: Ledger, app_id: str, app_public: bytes,
                  platform_private: bytes) -> None:
    verify_key, sign_key = rsa2.public_key(app_public), rsa2.private_key(platform_private)

    def answer(node: str, content: dict) -> web.Response:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        body = f'{{"{node}":{text},"sign":"{rsa2.sign(sign_key, text)}"}}'
        return web.Response(text=body, content_type="application/json", charset="utf-8")

    async def gateway(request: web.Request) -> web.Response:
        params = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        params.update(request.query)
        failure = ledger.injected("alipay")
        if failure and failure.get("status"):
            return web.Response(text="injected", status=failure["status"])
        if failure:
            return answer(NODE, {"code": str(failure.get("errcode", "20000")), "msg": "Service Currently Unavailable",
                                 "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"})
        if params.get("sign_type") != "RSA2" or not rsa2.verify(verify_key, rsa2.signing_content(params),
                                                                params.get("sign", "")):
            return answer("error_response", {"code": "40002", "msg": "Invalid Arguments",
                                             "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"})
        if params.get("app_id") != app_id or params.get("method") != METHOD or params.get("charset") != "utf-8":
            return answer(NODE, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id"})
        biz = json.loads(params.get("biz_content") or "{}")
        if biz.get("to_user_id") in ledger.refused:
            return answer(NODE, {"code": "40004", "msg": "Business Failed", "sub_code": "USER_NOT_SUBSCRIBE"})
        ledger.keep("alipay", {"params": params, "biz_content": biz})
        return answer(NODE, {"code": "10000", "msg": "Success"})

    app.router.add_post("/alipay/gateway.do", gateway)


def signed_json_route(app: web.Application, ledger: Ledger, provider: str, path: str, secret: str,
                      refused_code: int, to_field: str) -> None:
    nonces: set[str] = set()

    async def receive(request: web.Request) -> web.Response:
        failure = ledger.injected(provider)
        if failure:
            return web.json_response({"code": failure.get("errcode", 5000), "message": "injected"},
                                     status=failure.get("status") or 200)
        raw = await request.read()
        refused = signatures.check_request(secret, raw, request.headers)
        if refused or request.headers[signatures.NONCE] in nonces:
            return web.json_response({"code": 401, "message": refused or "replayed"}, status=401)
        nonces.add(request.headers[signatures.NONCE])
        key = request.headers.get("Idempotency-Key")
        if not key:
            return web.json_response({"code": 400, "message": "missing Idempotency-Key"}, status=400)
        body = json.loads(raw)
        if body.get(to_field) in ledger.refused:
            return web.json_response({"code": refused_code, "message": "refused"})
        ledger.keep(provider, {"key": key, "headers": dict(request.headers), "body": body}, key)
        return web.json_response({"code": 0, "message": "ok"})

    app.router.add_post(path, receive)


def admin_routes(app: web.Application, ledger: Ledger) -> None:
    async def received(request: web.Request) -> web.Response:
        provider = request.query.get("provider", "")
        if provider not in PROVIDERS:
            return web.json_response({"error": "provider?"}, status=400)
        return web.json_response({"received": ledger.received[provider], "requests": ledger.requests[provider]})

    async def fail(request: web.Request) -> web.Response:
        spec = await request.json()
        ledger.failures[spec["provider"]].extend(
            [{"status": spec.get("status"), "errcode": spec.get("errcode")}] * int(spec.get("times", 1)))
        return web.json_response({"ok": True})

    async def expire_token(request: web.Request) -> web.Response:
        ledger.tokens.clear()
        return web.json_response({"ok": True})

    async def refuse(request: web.Request) -> web.Response:
        ledger.refused.add((await request.json())["to"])
        return web.json_response({"ok": True})

    async def reset(request: web.Request) -> web.Response:
        ledger.reset()
        return web.json_response({"ok": True})

    app.router.add_get("/admin/received", received)
    app.router.add_post("/admin/fail", fail)
    app.router.add_post("/admin/expire-token", expire_token)
    app.router.add_post("/admin/refuse", refuse)
    app.router.add_post("/admin/reset", reset)


def make_app(env: dict[str, str], keys: dict[str, Path], templates: Templates) -> web.Application:
    app = web.Application()
    ledger = Ledger()
    wechat_routes(app, ledger, env["WECHAT_APPID"], env["WECHAT_SECRET"], templates)
    alipay_routes(app, ledger, env["ALIPAY_APP_ID"], keys["app_public"].read_bytes(),
                  keys["alipay_private"].read_bytes())
    signed_json_route(app, ledger, "push", "/push/v1/messages", env["PUSH_SECRET"], 1001, "user_id")
    signed_json_route(app, ledger, "sms", "/sms/v1/sms", env["SMS_SECRET"], 2001, "phone")
    admin_routes(app, ledger)
    return app


def main() -> None:
    p = argparse.ArgumentParser(description="notification provider stand-ins (WeChat, Alipay, app push, SMS)")
    p.add_argument("--port", type=int, default=8092)
    p.add_argument("--var", default=os.environ.get("BANGBAN_VAR") or str(ROOT / "var"))
    args = p.parse_args()
    var = Path(args.var)
    env = {**standin_env(f"http://127.0.0.1:{args.port}", var), **os.environ}
    templates = Templates.load(Path(env.get("NOTIFY_TEMPLATES") or ROOT / "data" / "notify" / "templates.yml"))
    web.run_app(make_app(env, dev_keys(var / "notify"), templates), host="127.0.0.1", port=args.port,
                print=None)


if __name__ == "__main__":
    main()
