"""A supervisor with cheap children, run as a script by ``test_processes.py``.

``python supervisor_script.py PORT_A PORT_B``: starts one HTTP server on PORT_A
and one child that starts a second HTTP server on PORT_B in a session of its own (as
Prefect's server does with its workers), prints ``ready``, and waits like ``demo`` does.
"""

from __future__ import annotations

import os
import sys
import time

from miauflix.processes import Supervisor, stop_on_signals

PY = sys.executable
SERVER = (
    "import http.server,sys;http.server.HTTPServer(('127.0.0.1',int(sys.argv[1])),"
    "http.server.SimpleHTTPRequestHandler).serve_forever()"
)
SPAWNER = (
    "import subprocess,sys,time;subprocess.Popen([sys.executable,'-c',sys.argv[1],"
    "sys.argv[2]],start_new_session=True);time.sleep(3600)"
)


def main(port_a: str, port_b: str) -> None:
    sup = Supervisor()
    env = dict(os.environ)
    with stop_on_signals():
        try:
            sup.start("server", [PY, "-c", SERVER, port_a], env)
            sup.start("spawner", [PY, "-c", SPAWNER, SERVER, port_b], env)
            sup.wait_http("server", f"http://127.0.0.1:{port_a}/", 30)
            sup.wait_http("spawner", f"http://127.0.0.1:{port_b}/", 30)
            print("ready", flush=True)
            while True:
                time.sleep(0.5)
                sup.check_alive()
        except KeyboardInterrupt:
            pass
        finally:
            sup.stop_all()


if __name__ == "__main__":
    main(*sys.argv[1:3])
