#!/usr/bin/env python3
"""Talks to a QEMU guest for scripts/vm-check: QMP (the monitor) and the guest agent (QGA).

    qmp.py qmp SOCKET COMMAND [JSON-ARGUMENTS]   # prints the "return" value as JSON
    qmp.py qga-ping SOCKET                       # exit 0 when the guest agent answers
    qmp.py exec SOCKET [--timeout S] -- SHELL-COMMAND
        # runs /bin/sh -c SHELL-COMMAND in the guest as root (guest-exec), prints its stdout and
        # stderr, exits with its exit code (124 when it did not end within --timeout seconds)
    qmp.py keys SOCKET DISPLAY-ID TEXT           # types TEXT (and Enter) through input-send-event
                                                 # to the keyboard bound to that display's console
    qmp.py ledger-check LEDGER.json EVENTS.json GATE-NAME  # money check, see below

Only the Python standard library; every wait has a deadline.
"""
import base64
import json
import socket
import sys
import time


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Lines:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line


class Monitor:
    """One QMP connection; several commands can go over it."""

    def __init__(self, path, timeout=20.0):
        self.sock = connect(path, timeout)
        self.lines = Lines(self.sock)
        json.loads(self.lines.read())  # greeting
        self.call("qmp_capabilities")

    def call(self, command, arguments=None):
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            msg = json.loads(self.lines.read())
            if "error" in msg:
                raise RuntimeError(f"QMP {command}: {msg['error'].get('desc', msg['error'])}")
            if "return" in msg:
                return msg["return"]  # events ({"event": …}) in between are skipped

    def close(self):
        self.sock.close()


def qmp(path, command, arguments=None, timeout=20.0):
    monitor = Monitor(path, timeout)
    try:
        return monitor.call(command, arguments)
    finally:
        monitor.close()


class Agent:
    """One connection to qemu-guest-agent, synchronised with guest-sync-delimited."""

    def __init__(self, path, timeout=10.0):
        self.sock = connect(path, timeout)
        self.lines = Lines(self.sock)
        token = int(time.time() * 1000) % 2**31
        # 0xFF makes the agent drop a half-read request left by an earlier, interrupted client.
        self.sock.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited", "arguments": {"id": token}}).encode() + b"\n")
        while True:
            line = self.lines.read()
            line = line.split(b"\xff")[-1]
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("return") == token:
                break

    def call(self, command, arguments=None):
        request = {"execute": command}
        if arguments is not None:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            line = self.lines.read().split(b"\xff")[-1]
            if not line.strip():
                continue
            msg = json.loads(line)
            if "error" in msg:
                raise RuntimeError(f"guest agent {command}: {msg['error'].get('desc', msg['error'])}")
            if "return" in msg:
                return msg["return"]


def guest_exec(path, command, timeout):
    agent = Agent(path)
    pid = agent.call("guest-exec", {"path": "/bin/sh", "arg": ["-c", command], "capture-output": True})["pid"]
    deadline = time.monotonic() + timeout
    pause = 0.02
    while True:
        status = agent.call("guest-exec-status", {"pid": pid})
        if status.get("exited"):
            break
        if time.monotonic() > deadline:
            # The guest command keeps running; its caller reports the timeout.
            sys.stderr.write(f"vm-check: guest command did not end within {timeout:.0f} s: {command}\n")
            return 124
        time.sleep(pause)  # the poll interval of a wait with a deadline
        pause = min(pause * 2, 0.25)
    out = base64.b64decode(status.get("out-data", ""))
    err = base64.b64decode(status.get("err-data", ""))
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    if status.get("out-truncated") or status.get("err-truncated"):
        sys.stderr.write("vm-check: (guest output truncated by the agent)\n")
    if "exitcode" in status:
        return status["exitcode"]
    return 128 + status.get("signal", 0)


# QEMU key names (QKeyCode) of the characters a voucher code can hold.
KEYS = {c: c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
KEYS["-"] = "minus"
KEYS["."] = "dot"
ENTER, SHIFT = "ret", "shift"


def key_events(name, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": name}}}


def type_text(path, device, text, pace=0.08):
    """Key presses as a scanner types them: one QMP connection, one command per character, one
    character every `pace` seconds (a typing rate, like a scanner's inter-character delay).
    QEMU's USB keyboard holds only 16 key events until the guest polls the device; sent at full
    speed, everything after the 16th was dropped (the gate read "VMCK" of "VMCK00000004")."""
    monitor = Monitor(path)
    try:
        for ch in text:
            lower = ch.lower()
            if lower not in KEYS:
                raise SystemExit(f"qmp.py keys: no key for {ch!r}")
            events = []
            if ch.isupper():
                events.append(key_events(SHIFT, True))
            events += [key_events(KEYS[lower], True), key_events(KEYS[lower], False)]
            if ch.isupper():
                events.append(key_events(SHIFT, False))
            monitor.call("input-send-event", {"device": device, "events": events})
            time.sleep(pace)  # the typing rate, not a wait for an event
        monitor.call("input-send-event", {"device": device, "events": [key_events(ENTER, True), key_events(ENTER, False)]})
    finally:
        monitor.close()


def ledger_check(ledger_path, events_path, gate):
    """The money check of Tests/GateDaemonTests/CrashTests.swift, against the gate's own events.

    LEDGER.json: the simulator's GET /_sim/ledger. EVENTS.json: `eguma-gate events --json` lines
    from the guest. Mismatches: an applied redeem the journal has no token (nor token_unknown) for;
    a reference redeemed twice; an admission without entry that kept money; net money taken that is
    not price × entries (token_unknown redemptions without entry counted apart)."""
    ledger = json.load(open(ledger_path))
    events = [json.loads(l) for l in open(events_path) if l.strip()]
    prefix = f"{gate}/"
    redeems = [e for e in ledger if e["endpoint"] == "redeem" and e["applied"] and (e.get("reference_number") or "").startswith(prefix)]
    tokens = {e["token"] for e in redeems if e.get("token")}
    cancels = [e for e in ledger if e["endpoint"] == "cancel_redemption" and e["applied"] and e.get("token") in tokens]
    outcome = {}
    unknown = {}
    redeemed_admissions = {}
    for ev in events:
        a = ev.get("admission")
        if a is None:
            continue
        t = ev.get("type")
        if t in ("entered", "cancelled", "denied", "no_passage"):
            if t == "entered" or outcome.get(a) != "entered":
                outcome[a] = t
        if t == "token_unknown":
            unknown[a] = unknown.get(a, 0) + (ev.get("amount_cents") or 0)
        if t == "redeemed":
            redeemed_admissions.setdefault(a, 0)
            redeemed_admissions[a] += ev.get("amount_cents") or 0
    mismatches = []
    by_ref = {}
    for r in redeems:
        by_ref.setdefault((r["reference_number"], r["code"]), []).append(r)
    for key, lst in by_ref.items():
        if len(lst) > 1:
            mismatches.append(f"reference {key[0]} redeemed {len(lst)}x")
    price_by_admission = {}
    for r in redeems:
        a = int(r["reference_number"].rsplit("/", 1)[-1])
        if a not in redeemed_admissions and a not in unknown:
            mismatches.append(f"redeem of {r['reference_number']} (token {str(r.get('token'))[:6]}…) is not in the gate's journal")
        net = (r.get("amount_in_cents") or 0) - sum(c.get("amount_in_cents") or 0 for c in cancels if c["token"] == r["token"])
        price_by_admission[a] = price_by_admission.get(a, 0) + net
    for a, net in price_by_admission.items():
        if outcome.get(a) != "entered" and net != 0 and a not in unknown:
            mismatches.append(f"admission {a} without entry kept {net} cents")
    entered = [a for a, o in outcome.items() if o == "entered"]
    net_taken = sum(price_by_admission.values())
    unknown_taken = sum(v for a, v in unknown.items() if outcome.get(a) != "entered")
    entered_cents = sum(price_by_admission.get(a, 0) for a in entered) + sum(unknown.get(a, 0) for a in entered if a not in price_by_admission)
    if net_taken - unknown_taken != entered_cents:
        mismatches.append(f"net taken {net_taken} (token-unknown without entry {unknown_taken}) is not what the {len(entered)} entries paid ({entered_cents})")
    print(json.dumps({"redeems": len(redeems), "cancels": len(cancels), "entered": len(entered),
                      "token_unknown": len(unknown), "net_cents": net_taken, "mismatches": mismatches}))
    return 1 if mismatches else 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    what, path = argv[1], argv[2]
    try:
        if what == "qmp":
            args = json.loads(argv[4]) if len(argv) > 4 else None
            print(json.dumps(qmp(path, argv[3], args)))
            return 0
        if what == "qga-ping":
            Agent(path, timeout=2.0).call("guest-ping")
            return 0
        if what == "exec":
            rest = argv[3:]
            timeout = 120.0
            if rest[:1] == ["--timeout"]:
                timeout = float(rest[1])
                rest = rest[2:]
            if rest[:1] == ["--"]:
                rest = rest[1:]
            return guest_exec(path, " ".join(rest), timeout)
        if what == "keys":
            type_text(path, argv[3], argv[4])
            return 0
        if what == "ledger-check":
            return ledger_check(argv[2], argv[3], argv[4])
    except (OSError, ConnectionError, RuntimeError, ValueError) as e:
        sys.stderr.write(f"vm-check: {what} on {path}: {e}\n")
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
