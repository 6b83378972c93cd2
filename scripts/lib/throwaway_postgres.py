"""Throwaway PostgreSQL clusters for the harness and the benchmarks (standard library only)."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway cluster, run as the `postgres` user when we are root (PostgreSQL refuses root)."""

    def __init__(self, extra_options=""):
        self.extra_options = extra_options
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            sys.exit("error: PostgreSQL server binaries not found (apt-get install -y postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="booking-throwaway-pg.")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/booking"

    def _pg_ctl(self, *args):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200 {self.extra_options}"
        subprocess.run(self.as_postgres + [f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log",
                                           "-w", "-t", "60", "-o", options, *args],
                       check=True, stdout=subprocess.DEVNULL)

    def start(self):
        subprocess.run(self.as_postgres + [f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "postgres",
                                           "--auth=trust", "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)
        self._pg_ctl("start")
        self.psql("CREATE DATABASE booking", database="postgres")

    def restart(self):
        self._pg_ctl("restart", "-m", "fast")

    def stop(self):
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, query, database="booking"):
        out = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                              "-d", database, "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
