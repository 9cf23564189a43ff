#!/usr/bin/env python3
"""A TCP proxy on loopback that injects faults in front of a real S3 server.

    fault_proxy.py TARGET_PORT --reset-first N --slowdown-first M

The first N connections are reset (RST) as soon as the request headers arrived; the next M
requests are answered `503 SlowDown` with S3's XML error body; everything after is passed
through untouched. It prints its port on the first line of stdout, and one line per fault.
"""
import argparse
import asyncio
import os
import signal
import socket
import struct
import sys

SLOWDOWN = (b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s")
SLOWDOWN_BODY = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                 b"<Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>")


class Proxy:
    def __init__(self, target_port, resets, slowdowns):
        self.target_port = target_port
        self.resets = resets
        self.slowdowns = slowdowns

    async def handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        if self.resets > 0:
            self.resets -= 1
            print("fault reset", flush=True)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        if self.slowdowns > 0:
            self.slowdowns -= 1
            print("fault slowdown", flush=True)
            writer.write(SLOWDOWN % (len(SLOWDOWN_BODY), SLOWDOWN_BODY))
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        up_writer.write(head)

        async def pipe(src, dst):
            try:
                while data := await src.read(1 << 16):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def exit_when_stdin_closes():
    # The test holds our stdin open; when it closes it (or dies) we go. Signals alone are not
    # enough: a child spawned from a thread that blocks SIGTERM inherits the blocked mask.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    os._exit(0)


async def main():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    asyncio.ensure_future(exit_when_stdin_closes())
    parser = argparse.ArgumentParser()
    parser.add_argument("target_port", type=int)
    parser.add_argument("--reset-first", type=int, default=0)
    parser.add_argument("--slowdown-first", type=int, default=0)
    args = parser.parse_args()
    proxy = Proxy(args.target_port, args.reset_first, args.slowdown_first)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
