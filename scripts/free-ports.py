#!/usr/bin/env python3
"""Prints N consecutive free TCP ports on 127.0.0.1, starting at a random base.

SeaweedFS takes a block of ports (master, volume, filer, S3 and their gRPC twins), so the
block must be free as a whole. Usage: free-ports.py N
"""
import random
import socket
import sys


def free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main() -> None:
    count = int(sys.argv[1])
    for _ in range(200):
        base = random.randrange(20000, 45000)
        if all(free(base + i) for i in range(count)):
            print(" ".join(str(base + i) for i in range(count)))
            return
    sys.exit("no block of free ports found")


if __name__ == "__main__":
    main()
