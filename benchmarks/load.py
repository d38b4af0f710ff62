"""Fire N requests at concurrency C at a local PixelPerfect server through gradio_client.

    python -m benchmarks.load [--requests 500] [--concurrency 8] [--url http://127.0.0.1:7860]
    python -m benchmarks.load --queue-limits 1 2 4     # the app's queue concurrency limit, one run each

Without --url it starts app.demo on a free local port itself, once per queue limit asked for.
Prints errors, latency p50/p95 and throughput. Not a test: the figures depend on the machine.
"""

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", help="a running server (default: start app.demo locally)")
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--queue-limits", type=int, nargs="+",
                        help="run the local app with each of these queue concurrency limits (default: the app's)")
    args = parser.parse_args()
    print("| requests | concurrency | queue limit | errors | p50 ms | p95 ms | throughput req/s |")
    print("|---|---|---|---|---|---|---|")
    if args.url:
        run(args, args.url, "?")
        return
    import app

    for limit in args.queue_limits or [None]:
        if limit:
            app.demo.queue(default_concurrency_limit=limit, max_size=app.QUEUE_SIZE)
        app.demo.launch(prevent_thread_lock=True, quiet=True)
        try:
            run(args, app.demo.local_url, limit or app.QUEUE_LIMIT)
        finally:
            app.demo.close()


def run(args, url: str, limit):
    from gradio_client import Client, handle_file

    photos = sorted(args.faces.glob("*.jpg"))[:50]
    if not photos:  # no shared faces here: use the package's portrait
        from matplotlib import cbook

        path = Path(tempfile.mkdtemp()) / "grace_hopper.jpg"
        Image.open(cbook.get_sample_data("grace_hopper.jpg")).save(path)
        photos = [path]

    clients = [Client(url, verbose=False) for _ in range(args.concurrency)]

    def one(index):
        start = time.perf_counter()
        try:
            clients[index % args.concurrency].predict(handle_file(str(photos[index % len(photos)])),
                                                      api_name="/analyze")
            return time.perf_counter() - start, None
        except Exception as error:  # counted and reported, the load goes on
            return time.perf_counter() - start, repr(error)[:200]

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        results = list(pool.map(one, range(args.requests)))
    elapsed = time.perf_counter() - started
    latencies = np.array([r[0] for r in results]) * 1000
    errors = [r[1] for r in results if r[1]]
    print(f"| {args.requests} | {args.concurrency} | {limit} | {len(errors)} | {np.percentile(latencies, 50):.0f} | "
          f"{np.percentile(latencies, 95):.0f} | {args.requests / elapsed:.1f} |")
    for error in sorted(set(errors))[:5]:
        print("error:", error)


if __name__ == "__main__":
    main()
