"""Fire N requests at concurrency C at a local PixelPerfect server through gradio_client.

    python -m benchmarks.load [--requests 500] [--concurrency 8] [--url http://127.0.0.1:7860]
    python -m benchmarks.load --queue-limits 1 2 4     # the app's queue concurrency limit, one run each
    python -m benchmarks.load --uploads --requests 40  # per upload (12 MP JPEG and HEIC, 4, 1 MP, crop), at
                                                          # concurrency 1 and 8;
                                                          # --requests is per row

Without --url it starts app.demo on a free local port itself, once per queue limit asked for.
Prints errors, latency p50/p95 and throughput. Not a test: the figures depend on the machine.
"""

import argparse
import queue
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
    parser.add_argument("--uploads", action="store_true",
                        help="a portrait per upload size, at concurrency 1 and 8, instead of UTKFace faces")
    args = parser.parse_args()
    if args.uploads:
        print("| upload | requests | concurrency | queue limit | errors | p50 ms | p95 ms | throughput req/s |")
        print("|---|---|---|---|---|---|---|---|")
    else:
        print("| requests | concurrency | queue limit | errors | p50 ms | p95 ms | throughput req/s |")
        print("|---|---|---|---|---|---|---|")
    if args.url:
        measure(args, args.url, "?")
        return
    import app

    for limit in args.queue_limits or [None]:
        if limit:
            app.demo.queue(default_concurrency_limit=limit, max_size=app.QUEUE_SIZE)
        app.demo.launch(prevent_thread_lock=True, quiet=True)
        try:
            measure(args, app.demo.local_url, limit or app.QUEUE_LIMIT)
        finally:
            app.demo.close()


def measure(args, url: str, limit):
    if not args.uploads:
        print(run(url, utkface_photos(args.faces), args.requests, args.concurrency, limit))
        return
    from benchmarks.speed import UPLOADS, upload

    folder = Path(tempfile.mkdtemp())
    for name, (size, format_) in UPLOADS.items():  # benchmarks.speed's uploads, so the two tables line up
        path = folder / ((f"{size[0]}x{size[1]}" if size else "crop") + f".{format_.lower()}")
        path.write_bytes(upload(size, format_))
        for concurrency in (1, 8):
            print(f"| {name} " + run(url, [path], args.requests, concurrency, limit))


def utkface_photos(faces: Path) -> list[Path]:
    photos = sorted(faces.glob("*.jpg"))[:50]
    if photos:
        return photos
    from matplotlib import cbook  # no shared faces here: use the package's portrait

    path = Path(tempfile.mkdtemp()) / "grace_hopper.jpg"
    Image.open(cbook.get_sample_data("grace_hopper.jpg")).save(path)
    return [path]


def run(url: str, photos: list[Path], requests: int, concurrency: int, limit) -> str:
    """One table row: ``requests`` calls of /analyze from ``concurrency`` client threads."""
    from gradio_client import Client, handle_file

    # Each call borrows a client no other call holds: a client's session is not meant to carry two calls at once,
    # and sharing one would count its errors as the server's. Made before the clock starts.
    idle = queue.SimpleQueue()
    for _ in range(concurrency):
        idle.put(Client(url, verbose=False))

    def one(index):
        client = idle.get()
        start = time.perf_counter()
        try:
            client.predict(handle_file(str(photos[index % len(photos)])), api_name="/analyze")
            return time.perf_counter() - start, None
        except Exception as error:  # counted and reported, the load goes on
            return time.perf_counter() - start, repr(error)[:200]
        finally:
            idle.put(client)

    one(0)  # the first call sets up the route; not counted
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - started
    latencies = np.array([r[0] for r in results]) * 1000
    errors = [r[1] for r in results if r[1]]
    row = (f"| {requests} | {concurrency} | {limit} | {len(errors)} | {np.percentile(latencies, 50):.0f} | "
           f"{np.percentile(latencies, 95):.0f} | {requests / elapsed:.1f} |")
    return "\n".join([row] + [f"error: {error}" for error in sorted(set(errors))[:5]])


if __name__ == "__main__":
    main()
