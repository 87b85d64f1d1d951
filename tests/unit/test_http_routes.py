"""The declared route table: installing, guarding, body validation, the generated OpenAPI document."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from pydantic import BaseModel, Field

from bridge.transport.http.middleware import error_middleware
from core.errors import ApiError
from core.http_routes import USER, Route, RouteTable, body, openapi_document
from core.tokens import bearer_token


class Inner(BaseModel):
    n: int = Field(ge=0)


class ThingIn(BaseModel):
    name: str = Field(min_length=1)
    inner: Inner | None = None


class ThingOut(BaseModel):
    name: str


class ThingQuery(BaseModel):
    limit: int = Field(default=5, description="how many")


table = RouteTable("things", denied="不行。")
WHO = web.RequestKey("who", str)


@table.get("/things/{tid}", summary="One thing", query=ThingQuery, response=ThingOut, errors={404: "unknown"})
async def one(request: web.Request) -> web.Response:
    """The thing."""
    return web.json_response({"name": request.match_info["tid"]})


@table.post("/things", summary="Make a thing", auth=("maker",), body=ThingIn, status=201, response=ThingOut)
async def make(request: web.Request) -> web.Response:
    return web.json_response({"name": body(request, ThingIn).name, "by": request[WHO]}, status=201)


@table.get("/mine", summary="Mine", auth=USER)
async def mine(request: web.Request) -> web.Response:
    return web.json_response({"who": request[WHO]})


async def guard(request: web.Request, route: Route) -> None:
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "unauthorized")
    if isinstance(route.auth, tuple) and token not in route.auth:
        raise ApiError(403, "forbidden", route.denied)
    request[WHO] = token


@pytest.fixture
async def client():
    app = web.Application(middlewares=[error_middleware])
    table.install(app, guard)
    async with TestClient(TestServer(app)) as c:
        yield c


def test_bearer_token_from_header_only():
    assert bearer_token(make_mocked_request("GET", "/", headers={"Authorization": "Bearer abc"})) == "abc"
    assert bearer_token(make_mocked_request("GET", "/", headers={"Authorization": "bearer abc"})) == "abc"
    assert bearer_token(make_mocked_request("GET", "/?token=q1")) is None  # issue 14: no tokens in URLs
    assert bearer_token(make_mocked_request("GET", "/", headers={"Authorization": "Basic x"})) is None
    assert bearer_token(make_mocked_request("GET", "/")) is None


async def test_public_route_needs_no_token_and_get_answers_head(client):
    resp = await client.get("/things/t1")
    assert resp.status == 200 and (await resp.json()) == {"name": "t1"}
    assert (await client.head("/things/t1")).status == 200


async def test_guard_authorizes_before_the_handler(client):
    assert (await client.get("/mine")).status == 401
    assert (await (await client.get("/mine", headers={"Authorization": "Bearer u"})).json()) == {"who": "u"}
    resp = await client.post("/things", json={"name": "x"}, headers={"Authorization": "Bearer u"})
    assert resp.status == 403 and (await resp.json())["error"]["message"] == "不行。"


async def test_declared_body_is_validated(client):
    auth = {"Authorization": "Bearer maker"}
    resp = await client.post("/things", json={"name": "x"}, headers=auth)
    assert resp.status == 201 and (await resp.json()) == {"name": "x", "by": "maker"}
    for bad in ({"name": ""}, {"name": "x", "inner": {"n": -1}}, ["x"]):
        resp = await client.post("/things", json=bad, headers=auth)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_payload"
    resp = await client.post("/things", data=b"{not json", headers=auth)
    assert resp.status == 400


def test_openapi_document_from_declarations():
    doc = openapi_document(table.routes, {"title": "t", "version": "1"})
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    assert {"Error", "ThingIn", "Inner", "ThingOut"} <= set(schemas)
    assert "$defs" not in schemas["ThingIn"]
    assert schemas["ThingIn"]["properties"]["inner"]["anyOf"][0] == {"$ref": "#/components/schemas/Inner"}
    get = doc["paths"]["/things/{tid}"]["get"]
    assert get["description"] == "The thing." and "security" not in get
    assert [(p["name"], p["in"], p["required"]) for p in get["parameters"]] == [("tid", "path", True),
                                                                                ("limit", "query", False)]
    assert set(get["responses"]) == {"200", "400", "404"}
    post = doc["paths"]["/things"]["post"]
    assert post["security"] == [{"bearer": []}] and post["x-roles"] == ["maker"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ThingIn"}
    assert set(post["responses"]) == {"201", "400", "401", "403"}
    assert set(doc["paths"]["/mine"]["get"]["responses"]) == {"200", "401"}


def test_two_models_of_one_name_are_refused():
    other = RouteTable("other")
    clash = type("ThingOut", (BaseModel,), {"__annotations__": {"x": int}})
    other.get("/clash", summary="clash", response=clash)(one)
    with pytest.raises(ValueError, match="two models named ThingOut"):
        openapi_document([*table.routes, *other.routes], {"title": "t", "version": "1"})
