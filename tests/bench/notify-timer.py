#!/usr/bin/env python3
"""Starts a command with $NOTIFY_SOCKET pointing at a Unix datagram socket of its own, and times the
first READY=1 it receives (as systemd does for Type=notify). Then waits IDLE seconds, reads the
process's VmRSS/VmHWM (the launcher execs java, so the pid is the JVM's), sends SIGTERM and waits.
Prints one JSON line. Usage: notify-timer.py IDLE_SECONDS TIMEOUT_SECONDS -- COMMAND...
$NOTIFY_TIMER_LOG, when set, names the file that keeps the command's output (else a temporary one)."""
import json, os, signal, socket, subprocess, sys, tempfile, time


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def main():
    idle, timeout = float(sys.argv[1]), float(sys.argv[2])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    d = tempfile.mkdtemp()
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    log = open(os.environ.get("NOTIFY_TIMER_LOG") or os.path.join(d, "log"), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    s.settimeout(0.2)
    ready = None
    messages = []
    while ready is None and time.monotonic() - t0 < timeout and p.poll() is None:
        try:
            msg = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        messages.append(msg.replace("\n", " "))
        if "READY=1" in msg.split("\n"):
            ready = time.monotonic() - t0
    out = {"ready_ms": round(ready * 1000) if ready is not None else None, "messages": messages[:4]}
    if ready is not None:
        time.sleep(idle)
        out["rss_kb"] = status_kb(p.pid, "VmRSS")
        out["hwm_kb"] = status_kb(p.pid, "VmHWM")
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    out["exit"] = p.returncode
    if ready is None:
        log.seek(0)
        out["log"] = log.read()[-2000:]
    print(json.dumps(out))
    os.unlink(path)


if __name__ == "__main__":
    main()
