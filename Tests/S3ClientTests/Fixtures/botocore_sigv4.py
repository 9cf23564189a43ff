#!/usr/bin/env python3
"""Random S3 requests signed by botocore, the reference the Swift signer is checked against.

Usage: botocore_sigv4.py SEED COUNT  ->  a JSON list of cases on stdout.
Each case holds the request (method, scheme, host, port, percent-encoded path, raw query
pairs, headers), the keys, region and instant, and what botocore produced for it: the
Authorization header with its x-amz-* headers, and a presigned URL.
"""
import datetime
import json
import random
import sys
from unittest import mock
from urllib.parse import quote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

KEY_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" +%~!*'()&$@=;:,?#[]/-_.")
    + ["é", "ß", "日本", "ü", "😀", "\u00a0", "Ω", "\t"]
)
QUERY_NAMES = ["uploadId", "partNumber", "prefix", "list-type", "delimiter", "max-keys",
               "continuation-token", "versionId", "response-content-disposition", "uploads",
               "x-id", "start-after", "encoding-type"]
VALUE_ALPHABET = KEY_ALPHABET + ["=", "&", "/"]
HOSTS = [("http", "127.0.0.1", 8333), ("https", "s3.amazonaws.com", None),
         ("https", "examplebucket.s3.eu-west-1.amazonaws.com", None), ("http", "localhost", 9000),
         ("https", "minio.internal", 8443), ("http", "s3.example.com", 80), ("https", "r2.example.com", 443)]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "auto"]


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def make_case(rng):
    scheme, host, port = rng.choice(HOSTS)
    bucket = rng.choice(["bucket", "my-bucket.with.dots", "b1"])
    key = rand_text(rng, KEY_ALPHABET, 1, 24)
    path = "/" + quote(bucket, safe="/~") + "/" + quote(key, safe="/~")
    if rng.random() < 0.1:
        path = "/"
    query = {}
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(QUERY_NAMES)
        query[name] = "" if rng.random() < 0.2 else rand_text(rng, VALUE_ALPHABET, 1, 12)
    headers = []
    if rng.random() < 0.5:
        headers.append(("Content-Type", rng.choice(["text/plain", "application/octet-stream", "image/png"])))
    if rng.random() < 0.5:
        headers.append(("x-amz-server-side-encryption", "AES256"))
    if rng.random() < 0.4:
        headers.append(("X-Amz-Checksum-CRC32C", rng.choice(["yZRlqg==", "AAAAAA==", "4wXJgw=="])))
    if rng.random() < 0.4:
        headers.append(("x-amz-meta-" + rand_text(rng, list("abcxyz-"), 1, 6),
                        rng.choice(["  padded  value ", "a\tb", "plain", "many    inner   spaces"])))
    if rng.random() < 0.2:
        headers.append(("Range", "bytes=0-%d" % rng.randint(0, 10000)))
    if rng.random() < 0.2:
        headers.append(("If-None-Match", "*"))
    if rng.random() < 0.2:
        headers.append(("User-Agent", "syncd-test"))  # never signed
    access = "AKIA" + rand_text(rng, list("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16, 16)
    secret = rand_text(rng, list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"), 40, 40)
    token = rand_text(rng, list("abcdefABCDEF0123456789+/="), 20, 60) if rng.random() < 0.3 else None
    epoch = rng.randint(1420070400, 1893456000)  # 2015 .. 2030
    region = rng.choice(REGIONS)
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    body = rand_text(rng, list("abc \n"), 0, 64).encode() if method in ("PUT", "POST") else b""
    sign_payload = rng.random() < 0.5
    expires = rng.choice([1, 60, 900, 3600, 86400, 604800])

    netloc = host if port is None else f"{host}:{port}"
    url = f"{scheme}://{netloc}{path}"
    creds = Credentials(access, secret, token)
    when = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        signed = AWSRequest(method=method, url=url, headers=dict(headers), data=body, params=dict(query))
        signed.context["client_config"] = Config(s3={"payload_signing_enabled": sign_payload})
        botocore.auth.S3SigV4Auth(creds, "s3", region).add_auth(signed)
        presigned = AWSRequest(method=method, url=url, headers=dict(headers), params=dict(query))
        botocore.auth.S3SigV4QueryAuth(creds, "s3", region, expires=expires).add_auth(presigned)
    return {
        "method": method, "scheme": scheme, "host": host, "port": port, "encodedPath": path,
        "query": [[k, v] for k, v in query.items()], "headers": [list(h) for h in headers],
        "accessKey": access, "secretKey": secret, "sessionToken": token, "region": region,
        "epoch": epoch, "body": body.decode(), "signPayload": sign_payload, "expires": expires,
        "expectedHeaders": {k.lower(): v for k, v in signed.headers.items()
                            if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")},
        "expectedPresignedURL": presigned.url,
    }


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    json.dump([make_case(rng) for _ in range(count)], sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
