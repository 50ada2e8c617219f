#!/usr/bin/env python3
"""A stand-in for the external stock service, for local runs (standard library only).

    python tools/fake_stock.py --port 9000 [--delay 0.2] [--mode ok|hang|error]

GET /stock/<isbn> answers {"in_stock": n} after --delay seconds; --mode hang never
answers in time (sleeps 60 s) and --mode error answers 503.
"""

import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--mode", choices=("ok", "hang", "error"), default="ok")
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(60 if args.mode == "hang" else args.delay)
            if args.mode == "error" or not self.path.startswith("/stock/"):
                status, body = 503 if args.mode == "error" else 404, {"error": "unavailable"}
            else:
                isbn = self.path.removeprefix("/stock/")
                status, body = 200, {"in_stock": sum(map(int, filter(str.isdigit, isbn))) % 17}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.daemon_threads = True
    print(f"fake stock service on http://127.0.0.1:{args.port} ({args.mode}, {args.delay}s)")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
