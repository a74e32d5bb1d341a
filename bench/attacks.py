"""Hand measurements behind docs/reliability.md's "attack, before, after" table.

    python bench/attacks.py 5000 users     # one packet of 9,362 user-list requests
    python bench/attacks.py 5000 leave     # every user vanishes at once
    python bench/attacks.py 5000 sigterm   # how long a SIGTERM takes with them online

A real run_server.py (its own data folder), N reading clients in a child process, and a
pair of bystanders whose message delay is measured before and during the attack.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile.conftest import (  # noqa: E402
    Pair, cpu_seconds, rss_kib, start_limited_server, stop_server,
)
from tests.hostile.test_bounded import message_delays  # noqa: E402


def main() -> None:
    count, attack = int(sys.argv[1]), sys.argv[2]
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp()
    process, port = start_limited_server("--rate-limit", "0", "--max-clients", "20000")
    started = time.monotonic()
    crowd = subprocess.Popen([sys.executable, str(Path(__file__).with_name("attack_crowd.py")),
                              str(port), str(count)], stdout=subprocess.PIPE, text=True)
    crowd.stdout.readline()
    pair = Pair(port)
    while True:
        pair.alice.send({"type": "users"})
        if len(pair.alice.expect("users", timeout=60)["users"]) >= count + 2:
            break
        time.sleep(0.2)
    while True:                      # until the joined storm has gone out
        before = cpu_seconds(process.pid)
        time.sleep(1)
        if cpu_seconds(process.pid) - before < 0.05:
            break
    print(f"{count} online and the server idle after {time.monotonic() - started:.1f} s; "
          f"VmRSS {rss_kib(process.pid) // 1024} MiB")
    base = rss_kib(process.pid)
    quiet = message_delays(pair, 20)
    print(f"without an attack: a bystander's message took {max(quiet) * 1000:.1f} ms at "
          f"most, {sorted(quiet)[10] * 1000:.1f} ms median")
    if attack == "users":
        import socket
        with socket.create_connection(("127.0.0.1", port)) as attacker:
            attacker.sendall(b'{"type":"login","nick":"mallory"}\n'
                             + b'{"type":"users"}\n' * 9362)
            during = message_delays(pair, 20)
        print(f"9,362 user lists asked at once: {max(during) * 1000:.1f} ms at most, "
              f"{sorted(during)[10] * 1000:.1f} ms median; "
              f"VmRSS +{(rss_kib(process.pid) - base) // 1024} MiB")
    elif attack == "leave":
        crowd.send_signal(signal.SIGUSR1)
        crowd.wait()
        began, delays = time.monotonic(), []
        while time.monotonic() - began < 5:
            delays.extend(message_delays(pair, 1))
        print(f"{count} left at once: a bystander's message took {max(delays) * 1000:.1f} ms "
              f"at most over {len(delays)} messages")
    elif attack == "sigterm":
        began = time.monotonic()
        process.terminate()
        process.wait(60)
        print(f"SIGTERM with {count} online: exited in {time.monotonic() - began:.2f} s, "
              f"status {process.returncode}")
    crowd.kill()
    pair.close()
    if process.poll() is None:
        stop_server(process)


if __name__ == "__main__":
    main()
