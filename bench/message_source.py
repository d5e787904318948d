"""A DynamoDB endpoint (its JSON wire format over HTTP) that serves the messages table's
`by_app_channel` Query with a filter on the status (what a report reads) for millions of generated
SMS messages, for the 5,000,000-row report benchmark (each partition in its shards, as
messages.models writes them).

Why not moto: moto's Query on an index walks and sorts every item of the table on each page, and
5 million moto items would need tens of GB of memory. Here message `i` is computed when asked for
(its id from its time, its status and body from `i`), so a page costs what DynamoDB's answer costs
the client: HTTP, up to 1 MB of JSON, botocore's and PynamoDB's parsing. That is the read time the
benchmark reports. The key condition, the `status IN (...)` filter applied after Limit and the 1 MB
page (both count every item read, as ScannedCount does), ExclusiveStartKey and ProjectionExpression
are DynamoDB's; nothing else of DynamoDB is here.

    python -m bench.message_source --port P --app APP --count N --start EPOCH --step SECONDS
"""
from __future__ import annotations

import argparse
import json
import re
from bisect import bisect_left
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chalicelib.messages.models import index_keys, shard_of

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
STATUSES = ["Delivered"] * 7 + ["Failed", "Sent", "Delivered"]
BODIES = ["Kode OTP Anda {n:06d}. Jangan berikan kode ini kepada siapa pun, termasuk petugas kami.",
          "Halo Budi, pesanan #INV-{n} sudah dikirim hari ini dan tiba besok. Lacak di kirim.dev/l/{n}",
          "Tagihan Anda Rp {n}.000,- jatuh tempo 25/10. Abaikan pesan ini jika sudah membayar.",
          "Promo! Diskon 20% untuk semua produk dengan kode HEMAT{n} sampai akhir bulan ini."]
PAGE_BYTES = 1 << 20


class Messages:
    def __init__(self, app: str, count: int, start: float, step: float) -> None:
        self.app, self.count, self.start, self.step = app, count, start, step

    def millis(self, i: int) -> int:
        return int((self.start + i * self.step) * 1000)

    def message_id(self, i: int) -> str:
        ms, rest = self.millis(i), (i * 2654435761) % (32**16)
        head = "".join(_CROCKFORD[(ms >> s) & 31] for s in range(45, -1, -5))
        return head + "".join(_CROCKFORD[(rest >> s) & 31] for s in range(75, -1, -5))

    def status(self, i: int) -> str:
        return STATUSES[i % len(STATUSES)]

    def iso(self, i: int, plus: float = 0) -> str:
        import time
        ms = self.millis(i) + int(plus * 1000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"

    def body(self, i: int) -> str:
        return BODIES[i % len(BODIES)].format(n=(i * 7919) % 1_000_000)

    def size(self, i: int) -> int:
        """About the item's size in DynamoDB."""
        return 3 * len(self.app) + len(self.body(i)) + 330

    def item(self, i: int) -> dict:
        """The item in DynamoDB's JSON."""
        status = self.status(i)
        body = self.body(i)
        created, updated = self.iso(i), self.iso(i, 4)
        keys = index_keys(self.app, "sms", status, self.message_id(i))
        item = {"message_id": {"S": self.message_id(i)}, "application_id": {"S": self.app},
                "channel": {"S": "sms"}, **{name: {"S": value} for name, value in keys.items()}, "status": {"S": status},
                "target": {"S": f"+628{1_200_000_000 + i:010d}"}, "created_at": {"S": created},
                "updated_at": {"S": updated}, "day": {"S": created[:10]}, "cost": {"N": "1"},
                "details": {"M": {"message_body": {"S": body}, "total_sms": {"N": "1"}}},
                "history": {"L": [{"M": {"status": {"S": "Submitted"}, "at": {"S": created}}},
                                  {"M": {"status": {"S": status}, "at": {"S": updated}}}]}}
        return item

    def first_after(self, low: str) -> int:
        """The first i whose id is >= low (ids grow with i)."""
        return bisect_left(range(self.count), low, key=self.message_id)

    def query(self, body: dict) -> dict:
        names, values = body.get("ExpressionAttributeNames", {}), body.get("ExpressionAttributeValues", {})
        condition = body["KeyConditionExpression"]
        hash_value = values[re.search(r"= (:\w+)", condition).group(1)]["S"]
        low_name, high_name = re.search(r"BETWEEN (:\w+) AND (:\w+)", condition).groups()
        low, high = values[low_name]["S"], values[high_name]["S"]
        assert body.get("IndexName") == "by_app_channel", body.get("IndexName")
        shard = int(hash_value.rsplit("#", 1)[1])
        listed = re.search(r"IN \(([^)]*)\)", body["FilterExpression"]).group(1)
        wanted = {values[name.strip()]["S"] for name in listed.split(",")}
        start = body.get("ExclusiveStartKey")
        if start:
            low = max(low, start["message_id"]["S"] + " ")
        projection = None
        if body.get("ProjectionExpression"):
            projection = [names.get(p.strip(), p.strip()) for p in body["ProjectionExpression"].split(",")]
        limit = body.get("Limit", 10**9)
        items, scanned, size, last = [], 0, 0, None
        i = self.first_after(low)
        while i < self.count and scanned < limit:
            if shard_of(self.message_id(i)) == shard:
                message_id = self.message_id(i)
                if message_id > high:
                    break
                size += self.size(i)  # DynamoDB's 1 MB counts whole items read, whatever the filter
                if size > PAGE_BYTES and scanned:
                    break
                scanned += 1
                last = i
                if self.status(i) in wanted:
                    item = self.item(i)
                    items.append({k: v for k, v in item.items() if k in projection} if projection else item)
            i += 1
        answer = {"Items": items, "Count": len(items), "ScannedCount": scanned}
        more = (scanned == limit or size > PAGE_BYTES) and last is not None
        if more:
            answer["LastEvaluatedKey"] = {"message_id": {"S": self.message_id(last)},
                                          "app_channel": {"S": hash_value}}
        return answer


def serve(port: int, messages: Messages) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            target = self.headers.get("X-Amz-Target", "").split(".")[-1]
            if target != "Query":
                status = "400 Bad Request"
                payload = json.dumps({"__type": "com.amazon.coral.validate#ValidationException",
                                      "message": f"only Query here, not {target}"}).encode()
            else:
                status, payload = "200 OK", json.dumps(messages.query(body)).encode()
            # Headers and body in one write: no small packet waiting on the client's delayed ACK.
            self.wfile.write(f"HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\n"
                             f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)

        def log_message(self, *args) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--step", type=float, required=True)
    args = parser.parse_args()
    server = serve(args.port, Messages(args.app, args.count, args.start, args.step))
    print(f"messages | serving {args.count:,} on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
