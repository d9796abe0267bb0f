"""The load generator for `make bench`: a separate process (stdlib only) that sends GET requests to one URL for a
bounded time from several threads in several processes, and prints one JSON line: requests, errors, requests per
second and latency percentiles.

    python site/bench/load.py --port 8123 --path /courses/ --seconds 5 [--cookie name=value] [--processes 2 --threads 2]
"""

import argparse
import http.client
import json
import multiprocessing
import threading
import time


def _worker(host, port, path, cookie, deadline, latencies, errors, lock):
    headers = {"Host": "127.0.0.1", "User-Agent": "bench"}
    if cookie:
        headers["Cookie"] = cookie
    connection = None
    local, failed = [], 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failed += 1
            if response.getheader("Connection", "").lower() == "close" or response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            failed += 1
            connection = None
            continue
        local.append(time.perf_counter() - started)
    with lock:
        latencies.extend(local)
        errors[0] += failed


def _process(host, port, path, cookie, seconds, threads, queue):
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + seconds
    pool = [
        threading.Thread(target=_worker, args=(host, port, path, cookie, deadline, latencies, errors, lock))
        for _ in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0]))


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    queue = multiprocessing.Queue()
    started = time.perf_counter()
    workers = [
        multiprocessing.Process(
            target=_process, args=(args.host, args.port, args.path, args.cookie, args.seconds, args.threads, queue)
        )
        for _ in range(args.processes)
    ]
    for worker in workers:
        worker.start()
    latencies, errors = [], 0
    for _ in workers:
        got, failed = queue.get()
        latencies.extend(got)
        errors += failed
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    print(  # noqa: T201 - the runner reads this line
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors,
                "rps": len(latencies) / elapsed,
                "p50_ms": percentile(latencies, 0.50) * 1000,
                "p99_ms": percentile(latencies, 0.99) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
