"""A guard in front of the web app (plain ASGI, so it needs nothing but the server).

- Host check: a request whose Host header is not an allowed name is refused (421). By default
  the allowed names are the bound address, plus localhost / 127.0.0.1 / [::1] when the
  address is a loopback or wildcard one (and the machine's name for a wildcard); `*` allows any.
  This stops DNS-rebinding pages from reaching a server bound to 127.0.0.1.
- Size limit: a request body larger than the limit (an upload, by its Content-Length or as it
  streams) is refused (413) before the app reads it.
"""

from __future__ import annotations

import socket

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
WILDCARD = {"0.0.0.0", "::", ""}


def allowed_hosts(bind: str, extra=()) -> set[str]:
    """The Host names a server bound to `bind` answers to, with the configured extra names."""
    bind = (bind or "").strip("[]").lower()
    hosts = {bind} - {""}
    if bind in LOOPBACK or bind.startswith("127.") or bind in WILDCARD:
        hosts |= LOOPBACK
    if bind in WILDCARD:
        hosts.add(socket.gethostname().lower())
    hosts |= {h.strip().strip("[]").lower() for h in extra if h and h.strip()}
    return hosts


def host_name(value: str) -> str:
    """The name in a Host header, without its port ("[::1]:7860" -> "::1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class RequestGuard:
    """ASGI middleware: refuse foreign Host headers (421) and oversized bodies (413)."""

    def __init__(self, app, hosts: set[str], max_body: int):
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host", ""))
        if "*" not in self.hosts and host not in self.hosts:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _plain(send, 421, f"拒绝访问：主机名 {host or '（空）'} 不在允许列表中（可用 --allowed-hosts 添加）")
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > self.max_body:
            return await _plain(send, 413, self._too_large())
        seen = 0
        refused = False
        started = False

        async def counted_receive():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body and not refused:
                    refused = True
                    if not started:
                        await _plain(send, 413, self._too_large())
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the 413 has been sent; what the app says after the disconnect is dropped
            started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    def _too_large(self) -> str:
        return f"上传内容过大：上限 {self.max_body / 2**20:.0f} MB（可用 --max-upload-mb 调整）"


async def _plain(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
