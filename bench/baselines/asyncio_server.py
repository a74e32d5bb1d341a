"""Baseline: an idiomatic asyncio-streams chat server (JSON dialect subset).

Written the way a competent developer would write a first asyncio chat server:
one coroutine per client, a dict of writers, json.dumps per recipient and
``await writer.drain()`` after each write.  It is a yardstick for bench/run.py,
not a product: no rate limit, no history, no admin, no text dialect.

    python bench/baselines/asyncio_server.py --host 127.0.0.1 --port 5051
"""

import argparse
import asyncio
import itertools
import json
import time

SERVER_NAME = "asyncio-baseline/1"


def now_ms():
    return int(time.time() * 1000)


class ChatServer:
    def __init__(self):
        self.clients = {}  # nick -> StreamWriter
        self.ids = itertools.count(1)

    async def send(self, writer, event):
        writer.write((json.dumps(event) + "\n").encode())
        await writer.drain()

    async def send_to_all(self, event, skip=None):
        for nick, writer in list(self.clients.items()):
            if nick == skip:
                continue
            try:
                await self.send(writer, event)
            except ConnectionError:
                pass  # that client's own coroutine notices and cleans up

    async def handle(self, reader, writer):
        nick = None
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    frame = json.loads(line)
                except ValueError:
                    await self.send(writer, {"type": "error", "code": "bad_json",
                                             "message": "That is not JSON."})
                    continue
                kind = frame.get("type")
                if kind == "ping":
                    pong = {"type": "pong"}
                    if "id" in frame:
                        pong["id"] = frame["id"]
                    await self.send(writer, pong)
                elif kind == "login":
                    nick = await self.login(writer, nick, frame.get("nick"))
                elif kind == "msg":
                    await self.message(writer, nick, frame)
                else:
                    await self.send(writer, {"type": "error", "code": "unknown_type",
                                             "message": "Unknown frame type."})
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError):
            pass
        finally:
            if nick is not None and self.clients.get(nick) is writer:
                del self.clients[nick]
                await self.send_to_all({"type": "left", "nick": nick,
                                        "reason": "disconnected", "ts": now_ms()})
            writer.close()

    async def login(self, writer, nick, wanted):
        if nick is not None:
            await self.send(writer, {"type": "error", "code": "already_logged_in",
                                     "message": "You are already logged in."})
            return nick
        if not isinstance(wanted, str) or not wanted:
            await self.send(writer, {"type": "error", "code": "nick_invalid",
                                     "message": "Bad nickname."})
            return None
        if wanted in self.clients:
            await self.send(writer, {"type": "error", "code": "nick_taken",
                                     "message": "That nickname is taken."})
            return None
        self.clients[wanted] = writer
        users = sorted(self.clients, key=str.casefold)
        await self.send(writer, {"type": "welcome", "nick": wanted, "users": users,
                                 "admin": False, "history": [], "server": SERVER_NAME})
        await self.send_to_all({"type": "joined", "nick": wanted, "ts": now_ms()},
                               skip=wanted)
        return wanted

    async def message(self, writer, nick, frame):
        if nick is None:
            await self.send(writer, {"type": "error", "code": "not_logged_in",
                                     "message": "Log in first."})
            return
        text = frame.get("text")
        if not isinstance(text, str) or not text.strip():
            await self.send(writer, {"type": "error", "code": "empty_message",
                                     "message": "Empty message."})
            return
        to = frame.get("to")
        event = {"type": "msg", "id": next(self.ids), "ts": now_ms(), "from": nick,
                 "to": to, "text": text.strip()}
        if to is None:
            await self.send_to_all(event)
            return
        target = self.clients.get(to)
        if target is None:
            await self.send(writer, {"type": "error", "code": "no_such_user",
                                     "message": "No such user."})
            return
        await self.send(target, event)
        if target is not writer:
            await self.send(writer, event)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5051)
    args = parser.parse_args()
    chat = ChatServer()
    server = await asyncio.start_server(chat.handle, args.host, args.port,
                                        limit=65536)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
