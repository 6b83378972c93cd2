"""Throwaway PostgreSQL clusters for the harness and the benchmarks (standard library only)."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_ports(count):
    """`count` loopback ports that are free now, all different: each is held until all are chosen."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    return free_ports(1)[0]


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


class PgBouncer:
    """A throwaway PgBouncer in transaction mode in front of `postgres`, as a large deployment runs it:
    each server connection serves one transaction (or one statement outside a transaction) at a time.
    Installs pgbouncer from Debian's packages when it is missing and we are root."""

    def __init__(self, postgres, pool_size=10):
        if shutil.which("pgbouncer") is None:
            if os.geteuid() != 0:
                sys.exit("error: pgbouncer not found (apt-get install -y pgbouncer)")
            subprocess.run("(apt-get install -y pgbouncer || (apt-get update && apt-get install -y pgbouncer))"
                           " >/dev/null", shell=True, check=True)
        self.postgres, self.pool_size = postgres, pool_size
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="booking-throwaway-pgbouncer.")
        self.as_postgres = postgres.as_postgres
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/booking"
        self.proc = None

    def start(self):
        config = os.path.join(self.dir, "pgbouncer.ini")
        with open(os.path.join(self.dir, "userlist.txt"), "w") as users:
            users.write('"postgres" ""\n')
        with open(config, "w") as ini:
            ini.write(f"""[databases]
booking = host=127.0.0.1 port={self.postgres.port} dbname=booking

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 1000
server_login_retry = 1
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        if os.geteuid() == 0:
            for name in ("pgbouncer.ini", "userlist.txt"):
                shutil.chown(os.path.join(self.dir, name), "postgres")
        # PgBouncer refuses to run as root, like PostgreSQL.
        self.proc = subprocess.Popen(self.as_postgres + ["pgbouncer", config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        sys.exit(f"error: pgbouncer did not start; see {self.dir}/pgbouncer.log")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
