#!/usr/bin/env python3
"""Makes the kernel emit N real uevents as fast as it can: writes "ACTION UUID" to the uevent files of
this machine's devices that have a MODALIAS, round-robin, from several processes. Prints one JSON line:
the files used, writes done and failed, the kernel's SEQNUM before and after, and the elapsed time.
Usage: uevent-storm.py N [PROCS] [ACTION] [UUID]   (root only)"""
import json, os, sys, time, uuid
from multiprocessing import Process, Queue


def modalias_devices():
    out = []
    for d, dirs, files in os.walk("/sys/devices"):
        if "uevent" not in files or not os.path.islink(os.path.join(d, "subsystem")):
            continue
        try:
            with open(os.path.join(d, "uevent")) as f:
                if any(l.startswith("MODALIAS=") for l in f):
                    out.append(os.path.join(d, "uevent"))
        except OSError:
            pass
    return sorted(out)


def writer(files, count, start, payload, q):
    ok = failed = 0
    n = len(files)
    for i in range(count):
        try:
            fd = os.open(files[(start + i) % n], os.O_WRONLY)
            try:
                os.write(fd, payload)
                ok += 1
            finally:
                os.close(fd)
        except OSError:
            failed += 1
    q.put((ok, failed))


def seqnum():
    with open("/sys/kernel/uevent_seqnum") as f:
        return int(f.read())


def main():
    n = int(sys.argv[1])
    procs = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    action = sys.argv[3] if len(sys.argv) > 3 else "add"
    tag = sys.argv[4] if len(sys.argv) > 4 else str(uuid.uuid4())
    files = modalias_devices()
    if not files:
        sys.exit("no device with a MODALIAS under /sys/devices")
    payload = f"{action} {tag}".encode()
    q = Queue()
    share = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    before = seqnum()
    t0 = time.monotonic()
    ps = [Process(target=writer, args=(files, share[i], sum(share[:i]), payload, q)) for i in range(procs)]
    for p in ps:
        p.start()
    ok = failed = 0
    for _ in ps:
        a, b = q.get()
        ok += a
        failed += b
    for p in ps:
        p.join()
    elapsed = time.monotonic() - t0
    print(json.dumps({"files": len(files), "procs": procs, "action": action, "uuid": tag, "written": ok,
                      "failed": failed, "seqnum_before": before, "seqnum_after": seqnum(),
                      "write_seconds": round(elapsed, 3)}))


if __name__ == "__main__":
    main()
