"""A local Web Push service on 127.0.0.1 (uvicorn, in the test's event loop), standing in for the browser
vendors' push services. Each `Device` holds the keys a browser would make (P-256 key pair and auth secret);
the service checks the VAPID signature (RFC 8292) with py_vapid, decrypts every message (RFC 8291,
aes128gcm) with http_ece using the device's private key, records what arrived, and answers as the test
scripts it: 201, 500 (the sender retries), or 410 (the device is gone)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import free_port


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Arrival:
    device: str
    payload: dict[str, Any]
    ttl: int
    urgency: str | None
    topic: str | None
    vapid_sub: str
    answered: int


@dataclass
class Device:
    """What a browser's PushManager makes for one subscription."""

    id: str
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    # Scripted answers, used up in order (then 201): a status, or ("redirect", location).
    script: deque[int | tuple[str, str]] = field(default_factory=deque)

    def subscription(self) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}


@dataclass
class PushService:
    port: int
    devices: dict[str, Device] = field(default_factory=dict)
    arrivals: list[Arrival] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # The application server key every message must be signed with (None: any valid one).
    expected_key: str | None = None

    def device(self) -> Device:
        d = Device(uuid.uuid4().hex, f"http://127.0.0.1:{self.port}/push/")
        d.endpoint += d.id
        self.devices[d.id] = d
        return d

    def delivered(self, device: Device | None = None) -> list[Arrival]:
        return [a for a in self.arrivals if a.answered == 201 and (device is None or a.device == device.id)]

    async def wait_for(self, n: int, device: Device | None = None, within: float = 20.0) -> list[Arrival]:
        async def enough() -> None:
            while len(self.delivered(device)) < n:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), within)
        return self.delivered(device)

    async def handle(self, request: Request) -> Response:
        device = self.devices.get(request.path_params["device"])
        if device is None:
            return Response(status_code=404)
        auth = request.headers.get("authorization", "")
        if not Vapid02.verify(auth):
            return Response(status_code=401, content=b"bad vapid signature")
        token = auth.split("t=", 1)[1].split(",", 1)[0]
        key = auth.split("k=", 1)[1].split(",", 1)[0]
        if self.expected_key is not None and key != self.expected_key:
            return Response(status_code=403, content=b"not the subscription's application server key")
        claims = jwt.decode(token, options={"verify_signature": False})
        if claims.get("aud") != f"http://127.0.0.1:{self.port}":
            return Response(status_code=403, content=b"wrong audience")
        body = await request.body()
        plain = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
        action = device.script.popleft() if device.script else 201
        status, headers = (307, {"location": action[1]}) if isinstance(action, tuple) else (action, {})
        self.arrivals.append(
            Arrival(
                device.id,
                json.loads(plain),
                int(request.headers.get("ttl", "0")),
                request.headers.get("urgency"),
                request.headers.get("topic"),
                str(claims.get("sub")),
                status,
            )
        )
        self.arrived.set()
        return Response(status_code=status, headers=headers)


@contextlib.asynccontextmanager
async def push_service() -> AsyncIterator[PushService]:
    service = PushService(free_port())
    app = Starlette(routes=[Route("/push/{device}", service.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=service.port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield service
    finally:
        server.should_exit = True
        await task
