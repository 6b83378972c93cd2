"""A throwaway PostgreSQL cluster that survives the loss of its primary, from Debian's packages and on
loopback only: etcd (the consensus store), three PostgreSQL 15 nodes under Patroni with synchronous
replication (a commit is acknowledged once it is on a second node), and HAProxy in front, routing one
port to the current leader (Patroni's `/primary` check) and another to the replicas (`/replica`).

    cluster = PatroniCluster(); cluster.start()   # cluster.url (writes), cluster.read_url (replicas)
    cluster.kill_leader_postgres()                 # Patroni restarts it, or another node takes over
    cluster.kill_leader_node()                     # Patroni and PostgreSQL: the cluster elects a new leader
    cluster.stop()                                 # every process stopped, every file removed

If the cluster does not come up (or come back) in time, the wait that gave up prints what the cluster looked
like: Patroni's members, HAProxy's view of its servers and the tail of every log. The directory is then
kept for a closer look.

Standard library only. As root it installs what is missing (patroni, etcd-server, etcd-client, haproxy)
and runs Patroni and PostgreSQL as the `postgres` user, which PostgreSQL requires.
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from throwaway_postgres import free_ports

PACKAGES = {"patroni": "patroni", "etcd": "etcd-server", "etcdctl": "etcd-client", "haproxy": "haproxy"}

# Patroni's timing, shortened for a test cluster (loop_wait + 2 × retry_timeout <= ttl): the leader key
# lives 8 s without renewal, so a dead leader is replaced within about that.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 8, 1, 3


def ensure_installed():
    missing = [package for command, package in PACKAGES.items() if shutil.which(command) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"error: missing {', '.join(missing)}; install them (apt-get install -y {' '.join(missing)})")
    print(f"installing {', '.join(missing)} from Debian's packages...", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


class PatroniCluster:
    def __init__(self, nodes=3):
        ensure_installed()
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            sys.exit("error: PostgreSQL server binaries not found (apt-get install -y postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="booking-ha.")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        ports = free_ports(4 + 2 * nodes)
        self.etcd_port, self.etcd_peer_port, self.primary_port, self.replica_port = ports[:4]
        self.nodes = [{"name": f"node{i + 1}", "pg": ports[4 + 2 * i], "rest": ports[5 + 2 * i], "proc": None}
                      for i in range(nodes)]
        self.etcd = self.haproxy = None
        self.keep = False
        self.url = f"postgres://postgres@127.0.0.1:{self.primary_port}/booking"
        self.read_url = f"postgres://postgres@127.0.0.1:{self.replica_port}/booking"
        # What happened, for the report: (seconds since start, what).
        self.started_at = time.time()
        self.log = []

    # -- starting and stopping -------------------------------------------------------------------

    def start(self):
        # HAProxy first, so that its ports are taken before the cluster's own connections could take one
        # as their local port; until a node leads, its checks find nothing and it routes nowhere.
        self._start_haproxy()
        self._start_etcd()
        for node in self.nodes:
            self._write_patroni_config(node)
        # The first node bootstraps the cluster; the others clone it once it leads.
        self._start_patroni(self.nodes[0])
        self._wait(lambda: self.leader() is not None, 90, "the first node to lead")
        for node in self.nodes[1:]:
            self._start_patroni(node)
        self._wait(lambda: self._streaming() == len(self.nodes) - 1, 120, "the replicas to stream")
        self._wait(lambda: self._synchronous() is not None, 60, "a synchronous standby")
        # The primary port routes to the leader once HAProxy's checks say that it alone is the primary;
        # then the database is created, again if the connection went elsewhere after all.
        self._wait(self._routes_to_leader, 120, "HAProxy to route its primary port to the leader alone")
        self._wait(self._create_database, 60, "the database to be created")
        return self

    def _create_database(self):
        try:
            self.psql("CREATE DATABASE booking", database="postgres", attempts=1)
            return True
        except subprocess.CalledProcessError as error:
            if "already exists" in (error.stderr or ""):
                return True
            print(f"  creating the database: {(error.stderr or '').strip()}; again", file=sys.stderr)
            return False
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=10)
        for node in self.nodes:
            proc = node["proc"]
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self._kill_postgres(node)
        if self.etcd and self.etcd.poll() is None:
            self.etcd.terminate()
            self.etcd.wait(timeout=10)
        if self.keep:
            print(f"the HA cluster's files are kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _start_etcd(self):
        data = os.path.join(self.dir, "etcd")
        client, peer = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{self.etcd_peer_port}"
        self.etcd = subprocess.Popen(
            ["etcd", "--name", "booking-ha", "--data-dir", data, "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", f"booking-ha={peer}",
             "--logger", "zap", "--log-outputs", os.path.join(self.dir, "etcd.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait(lambda: self._http(f"{client}/health") is not None, 60, "etcd")

    def _write_patroni_config(self, node):
        home = os.path.join(self.dir, node["name"])
        os.makedirs(home, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(home, "postgres")
        hba = ["host replication all 127.0.0.1/32 trust", "host all all 127.0.0.1/32 trust", "local all all trust"]
        config = f"""scope: booking
name: {node['name']}
log:
  dir: {home}
  level: WARNING
restapi:
  listen: 127.0.0.1:{node['rest']}
  connect_address: 127.0.0.1:{node['rest']}
etcd3:
  host: 127.0.0.1:{self.etcd_port}
bootstrap:
  dcs:
    ttl: {TTL}
    loop_wait: {LOOP_WAIT}
    retry_timeout: {RETRY_TIMEOUT}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        wal_keep_size: 128MB
  initdb:
  - encoding: UTF8
  - auth: trust
  pg_hba:
{chr(10).join(f'  - {line}' for line in hba)}
postgresql:
  listen: 127.0.0.1:{node['pg']}
  connect_address: 127.0.0.1:{node['pg']}
  data_dir: {home}/data
  bin_dir: {self.bin}
  pgpass: {home}/pgpass
  authentication:
    replication:
      username: postgres
    superuser:
      username: postgres
  parameters:
    unix_socket_directories: {home}
  pg_hba:
{chr(10).join(f'  - {line}' for line in hba)}
"""
        path = os.path.join(home, "patroni.yml")
        with open(path, "w") as file:
            file.write(config)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres")
        node["config"], node["home"] = path, home

    def _start_patroni(self, node):
        log = open(os.path.join(node["home"], "patroni.out"), "a")
        node["proc"] = subprocess.Popen(self.as_postgres + ["patroni", node["config"]], stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def _start_haproxy(self):
        servers = "\n".join(f"  server {n['name']} 127.0.0.1:{n['pg']} check port {n['rest']}" for n in self.nodes)
        config = f"""global
  maxconn 2000
  stats socket {self._haproxy_socket()}
defaults
  mode tcp
  # While no node is primary (or the leader's PostgreSQL is restarting), a new connection is closed within
  # about a second instead of outliving the service's own connect time-out (DATABASE_TIMEOUT): it fails
  # fast, and the next request's connection finds the primary once there is one.
  timeout connect 500ms
  timeout queue 1s
  retries 1
  timeout client 30m
  timeout server 30m
  timeout check 2s
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
listen primary
  bind 127.0.0.1:{self.primary_port}
  option httpchk OPTIONS /primary
  http-check expect status 200
{servers}
listen replicas
  bind 127.0.0.1:{self.replica_port}
  balance roundrobin
  option httpchk OPTIONS /replica
  http-check expect status 200
{servers}
"""
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as file:
            file.write(config)
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=open(os.path.join(self.dir, "haproxy.log"), "w"),
                                        stderr=subprocess.STDOUT)

    # -- what the cluster looks like -------------------------------------------------------------

    def _http(self, url, timeout=2):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return json.loads(response.read() or b"{}")
        except (OSError, ValueError):
            return None

    def members(self):
        for node in self.nodes:
            if node["proc"] and node["proc"].poll() is None:
                cluster = self._http(f"http://127.0.0.1:{node['rest']}/cluster")
                if cluster:
                    return cluster.get("members", [])
        return []

    def leader(self):
        """The node that leads now, or None."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return next(n for n in self.nodes if n["name"] == member["name"])
        return None

    def _streaming(self):
        return sum(1 for m in self.members() if m.get("role") in ("replica", "sync_standby") and m.get("state") in ("streaming", "running"))

    def _synchronous(self):
        return next((m["name"] for m in self.members() if m.get("role") == "sync_standby"), None)

    def _haproxy_socket(self):
        return os.path.join(self.dir, "haproxy.sock")

    def haproxy_servers(self):
        """HAProxy's view of its servers, {(proxy, server): status}, from its stats socket ({} if it does not
        answer)."""
        try:
            with socket.socket(socket.AF_UNIX) as connection:
                connection.settimeout(2)
                connection.connect(self._haproxy_socket())
                connection.sendall(b"show stat\n")
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
        except OSError:
            return {}
        lines = answer.decode().splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {(row["pxname"], row["svname"]): row["status"] for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")}

    def _routes_to_leader(self):
        """Whether HAProxy sends the primary port to the leader and nowhere else, and a write through it
        succeeds."""
        leader = self.leader()
        if leader is None:
            return False
        # "UP 1/2" is a server going down that still takes connections.
        up = [server for (proxy, server), status in self.haproxy_servers().items() if proxy == "primary" and status.startswith("UP")]
        return up == [leader["name"]] and self._writable()

    def _writable(self):
        """Whether HAProxy's primary port reaches a server that takes writes."""
        try:
            return self.psql("SELECT NOT pg_is_in_recovery()", database="postgres", timeout=3, attempts=1) == [["t"]]
        except subprocess.SubprocessError:
            return False

    def psql(self, query, database="booking", timeout=30, attempts=10):
        """Runs `query` on the current leader, through HAProxy's primary port; a connection that fails
        (psql's exit status 2: no leader behind the port yet, or one that just stepped down) is tried
        again, up to `attempts` times a second apart."""
        for attempt in range(attempts):
            try:
                out = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                                      "-d", database, "-X", "-A", "-t", "-F", "\t", "-c", query],
                                     check=True, capture_output=True, text=True, timeout=timeout).stdout
                return [line.split("\t") for line in out.splitlines() if line]
            except subprocess.CalledProcessError as error:
                if error.returncode != 2 or attempt == attempts - 1:
                    raise
                time.sleep(1)

    def _wait(self, condition, seconds, what):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for name, process in (("etcd", self.etcd), ("HAProxy", self.haproxy)):
                if process and process.poll() is not None:
                    self._give_up(f"{name} exited with status {process.returncode} while waiting for {what}")
            if condition():
                return
            time.sleep(0.2)
        self._give_up(f"waited {seconds} s for {what}")

    def _give_up(self, why):
        """Prints what the cluster looks like and the tail of its logs, keeps its files, and exits."""
        self.keep = True
        print(f"error: the HA cluster: {why}", file=sys.stderr)
        print(f"  Patroni's members: {json.dumps(self.members())}", file=sys.stderr)
        print(f"  HAProxy's servers: {self.haproxy_servers()}", file=sys.stderr)
        logs = [os.path.join(self.dir, name) for name in ("haproxy.log", "etcd.log")]
        logs += [os.path.join(self.dir, node["name"], name) for node in self.nodes for name in ("patroni.log", "patroni.out")]
        for path in logs:
            try:
                with open(path, errors="replace") as file:
                    tail = file.readlines()[-15:]
            except OSError:
                continue
            print(f"  --- {path} (last {len(tail)} lines)", file=sys.stderr)
            sys.stderr.writelines(f"    {line}" for line in tail)
        sys.exit(f"error: the HA cluster: {why}; its files are in {self.dir}")

    # -- faults ------------------------------------------------------------------------------------

    def _postgres_pid(self, node):
        try:
            with open(os.path.join(node["home"], "data", "postmaster.pid")) as file:
                return int(file.readline())
        except (OSError, ValueError):
            return None

    def _kill_postgres(self, node):
        pid = self._postgres_pid(node)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def kill_leader_postgres(self):
        """SIGKILL of the leader's postmaster; its Patroni lives on. Returns the leader's name."""
        leader = self.leader()
        self._kill_postgres(leader)
        self.log.append((time.time() - self.started_at, f"kill -9 of {leader['name']}'s PostgreSQL (leader)"))
        return leader["name"]

    def kill_leader_node(self):
        """SIGKILL of the leader's Patroni and its PostgreSQL: the cluster must elect a new leader."""
        leader = self.leader()
        os.killpg(leader["proc"].pid, signal.SIGKILL)
        self._kill_postgres(leader)
        leader["proc"].wait()
        self.log.append((time.time() - self.started_at, f"kill -9 of {leader['name']}'s Patroni and PostgreSQL (leader)"))
        return leader["name"]

    def wait_for_new_leader(self, old, seconds=120):
        self._wait(lambda: (self.leader() or {}).get("name") not in (None, old) and self._writable(), seconds, "a new leader")
        new = self.leader()["name"]
        self.log.append((time.time() - self.started_at, f"{new} leads and takes writes"))
        return new

    def wait_writable(self, seconds=120):
        self._wait(self._writable, seconds, "a writable leader")
        self.log.append((time.time() - self.started_at, f"{self.leader()['name']} leads and takes writes"))
