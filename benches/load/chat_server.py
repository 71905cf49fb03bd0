#!/usr/bin/env python3
"""The chat of examples/chat written for Python's asyncio, as the load benchmark's baseline.

Same API, same HTTP handling (keep-alive, request line and headers read line by line, Content-Length
bodies, 400/431 on bad input), same JSON. Usage: chat_server.py [PORT] (0 picks a free port; the
bound address is printed on stderr as "listening on HOST:PORT").
"""
import asyncio
import json
import sys
import time
from urllib.parse import parse_qs, unquote

REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 413: "Content Too Large", 431: "Request Header Fields Too Large"}
MAX_HEADER = 8192


class User:
    def __init__(self, name, joined_ms):
        self.name, self.joined_ms = name, joined_ms


class ChatMessage:
    def __init__(self, id, user, text, time_ms):
        self.id, self.user, self.text, self.time_ms = id, user, text, time_ms

    def to_json(self):
        m = {"id": self.id, "text": self.text, "time": self.time_ms}
        if self.user is not None:
            m["kind"], m["user"] = "user", self.user.name
        else:
            m["kind"], m["user"] = "info", None
        return m


class Room:
    def __init__(self, name):
        self.name, self.users, self.messages = name, {}, []

    def add(self, user, text, now):
        global next_id
        next_id += 1
        m = ChatMessage(next_id, user, text, now)
        self.messages.append(m)
        return m

    def since(self, since, limit):
        out = []
        i = len(self.messages) - 1
        while i >= 0 and len(out) < limit and self.messages[i].id > since:
            out.append(self.messages[i])
            i -= 1
        out.reverse()
        return out


rooms = {}
next_id = 0


def now_ms():
    return int(time.time() * 1000)


def reply(status, value):
    return status, json.dumps(value, separators=(",", ":"))


def fail(status, msg):
    return reply(status, {"error": msg})


def body_json(body):
    try:
        return json.loads(body), None
    except ValueError as e:
        return None, str(e)


def handle(method, path, query, body):
    parts = path.split("/")
    if path == "/rooms":
        if method != "GET":
            return fail(405, "method not allowed")
        return reply(200, {"rooms": [{"name": r.name, "users": len(r.users), "messages": len(r.messages)}
                                     for r in rooms.values()]})
    if len(parts) != 4 or parts[1] != "rooms" or parts[2] == "":
        return fail(404, "not found")
    room_name, action = unquote(parts[2]), parts[3]
    if action == "messages" and method == "GET":
        q = parse_qs(query)
        try:
            since = int(q.get("since", ["0"])[0])
            limit = int(q.get("limit", ["50"])[0])
        except ValueError:
            return fail(400, "since and limit must be non-negative numbers")
        r = rooms.get(room_name)
        if r is None:
            return fail(404, "no room " + room_name)
        msgs = r.since(since, limit)
        last = msgs[-1].id if msgs else since
        return reply(200, {"room": r.name, "messages": [m.to_json() for m in msgs], "last": last})
    if method != "POST" or action not in ("join", "leave", "messages"):
        return fail(404, "not found")
    value, err = body_json(body)
    if err is not None:
        return fail(400, "body: " + err)
    name = value.get("user") if isinstance(value, dict) else None
    if action == "join":
        if not isinstance(name, str) or not name or len(name) > 64:
            return fail(400, '"user" must be a name of 1 to 64 bytes')
        r = rooms.setdefault(room_name, Room(room_name))
        if name not in r.users:
            r.users[name] = User(name, now_ms())
            r.add(None, name + " joined", now_ms())
        return reply(200, {"room": r.name, "users": list(r.users)})
    r = rooms.get(room_name)
    if r is None:
        return fail(404, "no room " + room_name)
    if action == "leave":
        if r.users.pop(name, None) is None:
            return fail(404, f"{name} is not in {r.name}")
        r.add(None, f"{name} left", now_ms())
        return reply(200, {"room": r.name, "users": list(r.users)})
    text = value.get("text") if isinstance(value, dict) else None
    if not isinstance(text, str):
        return fail(400, '"text" must be a string')
    u = r.users.get(name)
    if u is None:
        return fail(403, f"{name} has not joined {r.name}")
    return reply(201, {"id": r.add(u, text, now_ms()).id})


def response(status, body, keep):
    b = body.encode()
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b)}\r\nConnection: {'keep-alive' if keep else 'close'}\r\n\r\n")
    return head.encode() + b


async def serve_conn(reader, writer):
    try:
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), 30)
            except (asyncio.TimeoutError, ValueError):
                break
            if not line:
                break
            words = line.decode("utf-8", "replace").rstrip("\r\n").split(" ")
            if len(words) != 3 or not words[1].startswith("/") or not words[2].startswith("HTTP/1."):
                writer.write(response(400, '{"error":"bad request"}', False))
                break
            headers, size, bad = {}, 0, 0
            while True:
                h = await reader.readline()
                if not h:
                    bad = -1
                    break
                size += len(h)
                if size > MAX_HEADER:
                    bad = 431
                    break
                h = h.decode("utf-8", "replace").rstrip("\r\n")
                if h == "":
                    break
                k, sep, v = h.partition(":")
                if not sep or not k or " " in k:
                    bad = 400
                    break
                headers[k.lower()] = v.strip()
            if bad:
                if bad > 0:
                    writer.write(response(bad, '{"error":"bad request"}', False))
                break
            body = b""
            n = headers.get("content-length")
            if n is not None:
                if not n.isdigit():
                    writer.write(response(400, '{"error":"bad request"}', False))
                    break
                body = await reader.readexactly(int(n))
            target = words[1]
            path, _, query = target.partition("?")
            status, out = handle(words[0], path, query, body.decode("utf-8", "replace"))
            keep = headers.get("connection", "").lower() != "close"
            writer.write(response(status, out, keep))
            await writer.drain()
            if not keep:
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    server = await asyncio.start_server(serve_conn, "127.0.0.1", port)
    addr = server.sockets[0].getsockname()
    print(f"listening on {addr[0]}:{addr[1]}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
