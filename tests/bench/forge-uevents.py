#!/usr/bin/env python3
"""Sends N forged uevents to a uevent listener: each a well-formed kernel-format datagram for a real
device of this machine, with its real MODALIAS, a made-up SEQNUM and LKMD_FORGED=1. Sent N times to
the listener's port id (unicast) and N times to group 1 (multicast), from this process's uid.
Prints one JSON line: datagrams sent per path, and errors per errno name.
Usage: forge-uevents.py N PORT_ID"""
import errno, json, os, socket, sys, time


def modalias_devices():
    out = []
    for d, dirs, files in os.walk("/sys/devices"):
        if "uevent" not in files or not os.path.islink(os.path.join(d, "subsystem")):
            continue
        try:
            with open(os.path.join(d, "uevent")) as f:
                alias = [l.strip()[9:] for l in f if l.startswith("MODALIAS=")]
        except OSError:
            continue
        if alias:
            sub = os.path.basename(os.readlink(os.path.join(d, "subsystem")))
            out.append((d[len("/sys"):], sub, alias[0]))
    return sorted(out)


def main():
    n, port = int(sys.argv[1]), int(sys.argv[2])
    devices = modalias_devices() or [("/devices/platform/pcspkr", "platform", "platform:pcspkr")]
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)  # NETLINK_KOBJECT_UEVENT
    s.bind((0, 0))
    sent = {"unicast": 0, "multicast": 0}
    errors = {}
    t0 = time.monotonic()
    for i in range(n):
        devpath, sub, alias = devices[i % len(devices)]
        msg = (f"add@{devpath}\0ACTION=add\0DEVPATH={devpath}\0SUBSYSTEM={sub}\0MODALIAS={alias}\0"
               f"SEQNUM={9_000_000_000 + i}\0LKMD_FORGED=1\0").encode()
        for path, addr in (("unicast", (port, 0)), ("multicast", (0, 1))):
            try:
                s.sendto(msg, addr)
                sent[path] += 1
            except OSError as e:
                name = errno.errorcode.get(e.errno, str(e.errno))
                errors[f"{path} {name}"] = errors.get(f"{path} {name}", 0) + 1
    print(json.dumps({"uid": os.getuid(), "devices": len(devices), "sent": sent, "errors": errors,
                      "seconds": round(time.monotonic() - t0, 3)}))


if __name__ == "__main__":
    main()
