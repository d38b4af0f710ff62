"""A server under steady traffic for a long time, then requests no client should send.

    python -m benchmarks.soak [--minutes 30] [--rate 5]

Starts `python app.py` on a free local port (its own process, so its memory is its own), sends `/analyze`
requests at a steady rate from one client and samples the server's resident memory every minute; then sends
malformed requests (wrong types, a 50 MB JSON body, a file name with ``../``, 500 files to `/analyze_batch`),
each followed by a normal request to show the server still serves. Prints both as tables. Not a test.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(300).decode(errors="replace")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=5, help="requests per second")
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    port = free_port()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env={**os.environ, "GRADIO_SERVER_PORT": str(port)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                client = Client(url, verbose=False)
                break
            except Exception:  # not up yet
                time.sleep(1)
        photos = sorted(args.faces.glob("*.jpg"))[:50]
        client.predict(handle_file(str(photos[0])), api_name="/analyze")  # models loaded
        print("| minute | requests so far | errors so far | server memory (MB) |\n|---|---|---|---|")
        start, sent, errors, next_sample, minute = time.perf_counter(), 0, 0, 0.0, 0
        while (elapsed := time.perf_counter() - start) < args.minutes * 60:
            if elapsed >= next_sample:
                print(f"| {minute} | {sent} | {errors} | {resident_mb(server.pid):.0f} |", flush=True)
                next_sample, minute = next_sample + 60, minute + 1
            try:
                client.predict(handle_file(str(photos[sent % len(photos)])), api_name="/analyze")
            except Exception:  # counted: the soak goes on
                errors += 1
            sent += 1
            time.sleep(max(0.0, start + sent / args.rate - time.perf_counter()))
        print(f"| end | {sent} | {errors} | {resident_mb(server.pid):.0f} |\n")
        malformed(client, url, photos[0])
    finally:
        server.terminate()
        server.wait(30)


def outcome(url: str, posted: tuple[int, str]) -> str:
    """A raw call's answer: the POST gives an event id, its result is streamed from a GET."""
    status, body = posted
    if status != 200:
        return f"HTTP {status}: {body[:100]}"
    event = json.loads(body)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/analyze/{event}", timeout=120) as response:
        return response.read(400).decode(errors="replace").replace("\n", " ")


def malformed(client, url: str, photo: Path):
    from gradio_client import handle_file

    def still_serves() -> str:
        try:
            return client.predict(handle_file(str(photo)), api_name="/analyze")["verdict"]
        except Exception as error:
            return f"NO: {error!r}"[:80]

    def answer(call) -> str:
        try:
            return f"answered: {str(call())[:120]}"
        except Exception as error:
            return f"error: {str(error)[:160]}"

    folder = Path(tempfile.mkdtemp())
    many = []
    for index in range(500):
        path = folder / f"face-{index}.jpg"
        Image.open(photo).save(path)
        many.append(handle_file(str(path)))
    sneaky = folder / "..%2F..%2Fetc%2Fpasswd.jpg"
    Image.open(photo).save(sneaky)
    cases = {
        "a number instead of a file": lambda: client.predict(42, api_name="/analyze"),
        "a text instead of a file": lambda: client.predict("/etc/passwd", api_name="/analyze"),
        "a server path instead of an upload": lambda: client.predict(
            {"path": str(ROOT / "README.md"), "meta": {"_type": "gradio.FileData"}}, api_name="/analyze"),
        "50 MB JSON body": lambda: outcome(url, post(url + "gradio_api/call/analyze", json.dumps(
            {"data": ["x" * (50 * 2**20)]}).encode())),
        "upload named ../../etc/passwd.jpg": lambda: post(
            url + "gradio_api/upload", b"--b\r\nContent-Disposition: form-data; name=\"files\"; "
            b"filename=\"../../etc/passwd.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + photo.read_bytes()
            + b"\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        "a file named ..%2F..%2Fetc%2Fpasswd.jpg": lambda: client.predict(handle_file(str(sneaky)),
                                                                          api_name="/analyze")["verdict"],
        "500 files to /analyze_batch": lambda: client.predict(many, api_name="/analyze_batch"),
    }
    print("| malformed request | answer | a normal request afterwards |\n|---|---|---|")
    for name, call in cases.items():
        said = answer(call).replace("|", "/").replace("\n", " ")
        print(f"| {name} | {said} | {still_serves()} |", flush=True)


if __name__ == "__main__":
    main()
