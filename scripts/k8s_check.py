"""make k8s-check: the Helm chart installed on a real Kubernetes control plane, on loopback.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler run as plain processes; kwok
plays three nodes whose pods reach Running (no kubelet: nothing is pulled or run). Each value
set (laptop, scaled) is installed in a namespace of its own and checked:

- every Deployment and StatefulSet has its replicas ready, each pod bound to a node;
- every Service selects running pods (and its EndpointSlices list them);
- every PersistentVolumeClaim is bound, or pending on a named storage class;
- every pod is admitted under the "restricted" Pod Security Standard (its namespace enforces it).

Everything is torn down at the end, also on failure or Ctrl+C. The time of each step is printed.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3

from lab_env import setting

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "chart"
VALUE_SETS = ("laptop", "scaled")
NODES = ("kwok-node-1", "kwok-node-2", "kwok-node-3")
# The class the check's volumes are on: no provisioner; the check creates volumes for it.
STORAGE_CLASS = "obslab-check"
# kwok's stage files (from its module's kustomize/stage): nodes become Ready and keep a
# heartbeat; pods become Running and Ready, Jobs' pods complete, deleted pods go.
KWOK_STAGES = ("node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml",
               "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml")  # fmt: skip


def step(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


def info(text: str) -> None:
    print(f"    {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CheckFailed(Exception):
    pass


@dataclass
class ControlPlane:
    """The processes of a small cluster on loopback, and a client for its API."""

    tools: Path
    workdir: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def __post_init__(self):
        self.api_port = free_port()
        self.url = f"https://127.0.0.1:{self.api_port}"
        self.kubeconfig = self.workdir / "kubeconfig"
        self.session = requests.Session()
        self.session.verify = False  # the API server's own self-signed certificate
        self.session.trust_env = False  # a CA bundle or proxy from the environment would override that
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    # --- processes ---
    def start(self, name: str, *command: str) -> None:
        with (self.workdir / f"{name}.log").open("w") as log:  # the process keeps its own copy
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))

    def check_running(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise CheckFailed(f"{name} exited ({process.returncode}): {self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 15) -> str:
        text = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def up(self) -> None:
        etcd_port, peer_port = free_port(), free_port()
        self.start("etcd", "etcd", "--name=check", f"--data-dir={self.workdir / 'etcd'}",
                   f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
                   f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
                   f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                   f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                   f"--initial-cluster=check=http://127.0.0.1:{peer_port}")  # fmt: skip
        key = self.workdir / "service-account.key"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.token},admin,admin,"system:masters"\n')
        self.start("kube-apiserver", str(self.tools / "kube-apiserver"),
                   f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                   "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={self.api_port}",
                   # With 127.0.0.1 advertised, the `kubernetes` Service's endpoints cannot be kept.
                   "--endpoint-reconciler-type=none",
                   f"--cert-dir={self.workdir / 'certs'}", f"--token-auth-file={tokens}",
                   "--authorization-mode=RBAC", "--service-cluster-ip-range=10.96.0.0/16",
                   "--service-account-issuer=https://kubernetes.default.svc",
                   f"--service-account-key-file={key}", f"--service-account-signing-key-file={key}")  # fmt: skip
        self.wait_for("the API server", lambda: self.session.get(f"{self.url}/readyz", timeout=2).ok, timeout=90)
        self.kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "check",
            "clusters": [{"name": "check", "cluster": {"server": self.url, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "check", "context": {"cluster": "check", "user": "admin"}}],
        }))  # fmt: skip
        common = [
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
        ]
        self.start("kube-controller-manager", str(self.tools / "kube-controller-manager"), *common,
                   f"--secure-port={free_port()}", f"--service-account-private-key-file={key}",
                   "--use-service-account-credentials=false", "--controllers=*")  # fmt: skip
        self.start("kube-scheduler", str(self.tools / "kube-scheduler"), *common, f"--secure-port={free_port()}")
        stages = self.tools / "kwok-stages"
        self.start("kwok", str(self.tools / "kwok"), f"--kubeconfig={self.kubeconfig}",
                   *(f"--config={stages / name}" for name in KWOK_STAGES),
                   "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                   f"--server-address=127.0.0.1:{free_port()}")  # fmt: skip

    def wait_for(self, what: str, condition, timeout: float, interval: float = 1.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.check_running()
            try:
                result = condition()
                if result:
                    return result
            except (requests.RequestException, KeyError) as error:
                last = error
            time.sleep(interval)
        raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}" + (f" ({last})" if last else ""))

    # --- API ---
    def get(self, path: str) -> dict:
        response = self.session.get(f"{self.url}{path}", timeout=10)
        response.raise_for_status()
        return response.json()

    def create(self, path: str, body: dict) -> None:
        response = self.session.post(f"{self.url}{path}", json=body, timeout=10)
        if not response.ok and response.status_code != 409:  # 409: already there
            raise CheckFailed(f"creating {body['kind']} {body['metadata']['name']}: {response.text}")

    def items(self, path: str) -> list[dict]:
        return self.get(path)["items"]


def fake_nodes_and_volumes(cluster: ControlPlane, volumes: int) -> None:
    """Three kwok nodes, and a storage class with volumes enough for both value sets' claims
    (no provisioner runs here: the controller manager binds claims to these volumes)."""
    for name in NODES:
        cluster.create("/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"kubernetes.io/hostname": name, "type": "kwok"}},
            "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                       "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"}},
        })  # fmt: skip
    cluster.create("/apis/storage.k8s.io/v1/storageclasses", {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": STORAGE_CLASS},
        "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "Immediate",
    })  # fmt: skip
    for i in range(volumes):
        cluster.create("/api/v1/persistentvolumes", {
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"check-volume-{i}"},
            "spec": {"capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"],
                     "storageClassName": STORAGE_CLASS, "hostPath": {"path": f"/tmp/check-volume-{i}"}},
        })  # fmt: skip

    def nodes_ready():
        def ready(node: dict) -> bool:
            conditions = node["status"].get("conditions", [])
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        return sum(ready(node) for node in cluster.items("/api/v1/nodes")) == len(NODES)

    cluster.wait_for("kwok's three nodes to be Ready", nodes_ready, timeout=60)


def helm(cluster: ControlPlane, *args: str) -> None:
    result = subprocess.run([str(cluster.tools / "helm"), f"--kubeconfig={cluster.kubeconfig}", *args],
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        raise CheckFailed(f"helm {' '.join(args[:3])} failed:\n{result.stderr[-3000:]}")


def _matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def problems(cluster: ControlPlane, namespace: str) -> list[str]:
    """What is not yet as it should be in the namespace (empty: all is well)."""
    found = []
    pods = cluster.items(f"/api/v1/namespaces/{namespace}/pods")
    running = [p for p in pods if p["status"].get("phase") == "Running" and p["spec"].get("nodeName")]
    for kind, path in (("Deployment", "deployments"), ("StatefulSet", "statefulsets")):
        for workload in cluster.items(f"/apis/apps/v1/namespaces/{namespace}/{path}"):
            name, wanted = workload["metadata"]["name"], workload["spec"]["replicas"]
            ready = workload["status"].get("readyReplicas", 0)
            selector = workload["spec"]["selector"]["matchLabels"]
            bound = [p for p in running if _matches(selector, p["metadata"].get("labels", {}))]
            if ready != wanted or len(bound) != wanted:
                found.append(f"{kind} {name}: {ready}/{wanted} ready, {len(bound)} pods running on a node")
    slices = cluster.items(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices")
    for service in cluster.items(f"/api/v1/namespaces/{namespace}/services"):
        name, selector = service["metadata"]["name"], service["spec"].get("selector") or {}
        if not selector:
            found.append(f"Service {name} selects nothing")
            continue
        selected = [p for p in running if _matches(selector, p["metadata"].get("labels", {}))]
        endpoints = sum(len(s.get("endpoints") or []) for s in slices
                        if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name)  # fmt: skip
        if not selected or endpoints < len(selected):
            found.append(f"Service {name}: selects {len(selected)} running pods, {endpoints} endpoints listed")
    for claim in cluster.items(f"/api/v1/namespaces/{namespace}/persistentvolumeclaims"):
        phase, storage_class = claim["status"].get("phase"), claim["spec"].get("storageClassName")
        if not (phase == "Bound" or (phase == "Pending" and storage_class)):
            found.append(f"PersistentVolumeClaim {claim['metadata']['name']}: {phase}, class {storage_class!r}")
    return found


def warnings(cluster: ControlPlane, namespace: str, most: int = 5) -> list[str]:
    """Why, as Kubernetes says it: the namespace's distinct warning events (FailedCreate, ...)."""
    seen = {}
    for event in cluster.items(f"/api/v1/namespaces/{namespace}/events"):
        if event.get("type") == "Warning":
            # One line per cause: the same refusal repeats for each pod a controller tries.
            key = re.sub(r'pods "[^"]+"', "pods", event["message"])[:300]
            seen.setdefault(key, f"{event['reason']}: {event['message'][:300]}")
    return [f"event {text}" for text in list(seen.values())[:most]]


def summary(cluster: ControlPlane, namespace: str) -> str:
    apps, core = f"/apis/apps/v1/namespaces/{namespace}", f"/api/v1/namespaces/{namespace}"
    pods = cluster.items(f"{core}/pods")
    counts = {
        "Deployments": len(cluster.items(f"{apps}/deployments")),
        "StatefulSets": len(cluster.items(f"{apps}/statefulsets")),
        "Services": len(cluster.items(f"{core}/services")),
        "PVCs bound": sum(c["status"].get("phase") == "Bound" for c in cluster.items(f"{core}/persistentvolumeclaims")),
        "pods running": sum(p["status"].get("phase") == "Running" for p in pods),
    }
    nodes = {p["spec"].get("nodeName") for p in pods} - {None}
    return ", ".join(f"{n} {k}" for k, n in counts.items()) + f", on {len(nodes)} nodes"


def check_value_set(cluster: ControlPlane, values: str, timeout: float) -> None:
    namespace = f"obslab-{values}"
    started = time.monotonic()
    step(f"helm install obslab chart -f chart/values-{values}.yaml (namespace {namespace}, Pod Security: restricted)")
    # The API server refuses pods that break the "restricted" Pod Security Standard there:
    # root, privilege escalation, capabilities, no seccomp profile, host paths.
    cluster.create("/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    })  # fmt: skip
    helm(cluster, "install", "obslab", str(CHART), "-f", str(CHART / f"values-{values}.yaml"), "--namespace",
         namespace, "--set", f"persistence.storageClass={STORAGE_CLASS}")  # fmt: skip
    latest: list[str] = []

    def settled():
        nonlocal latest
        latest = problems(cluster, namespace)
        return not latest

    try:
        cluster.wait_for(f"the {values} value set to settle", settled, timeout=timeout, interval=2)
    except CheckFailed as error:
        raise CheckFailed(f"{error}; still:\n      " + "\n      ".join(latest + warnings(cluster, namespace))) from None
    info(summary(cluster, namespace))
    info(f"{values}: every workload ready on a node, every Service with endpoints, every claim bound "
         f"({time.monotonic() - started:.0f} s)")  # fmt: skip


def check_a_broken_install_fails(cluster: ControlPlane) -> None:
    """The check's own control: a release whose backend asks for more CPU than any node has, and
    whose claims name no class, must be reported, not passed."""
    namespace = "obslab-control"
    step("control: a release that cannot settle must be reported")
    broken = ["--set", "backend.resources.requests.cpu=64", "--set", "persistence.storageClass="]
    helm(cluster, "install", "obslab", str(CHART), "-f", str(CHART / "values-laptop.yaml"), "--namespace", namespace,
         "--create-namespace", *broken)  # fmt: skip
    time.sleep(5)
    found = problems(cluster, namespace)
    expected = ("Deployment backend-flask: 0/1 ready", "Service backend-flask: selects 0", "PersistentVolumeClaim")
    missing = [text for text in expected if not any(problem.startswith(text) for problem in found)]
    if missing:
        raise CheckFailed(f"the check did not report {missing} for a broken release; it found {found}")
    info(f"reported: {len(found)} problems, e.g. {found[0]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=180, help="seconds each value set may take to settle")
    parser.add_argument("--keep", action="store_true", help="leave the work folder (logs, kubeconfig) behind")
    args = parser.parse_args()
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    began = time.monotonic()
    step("building the tools (once; kept in the lab's cache)")
    subprocess.run([str(ROOT / "scripts" / "need-debian-package.sh"), "etcd", "etcd-server"], check=True)
    subprocess.run([str(ROOT / "scripts" / "need-debian-package.sh"), "openssl", "openssl"], check=True)
    built = subprocess.run([str(ROOT / "scripts" / "k8s-tools.sh"), "cluster"], check=True, stdout=subprocess.PIPE,
                           text=True)  # fmt: skip
    tools = Path(built.stdout.strip().splitlines()[-1])
    info(f"tools ready ({time.monotonic() - began:.0f} s)")
    workdir = Path(tempfile.mkdtemp(prefix="obslab-k8s-check-"))
    cluster = ControlPlane(tools, workdir)
    status = 1
    try:
        step(f"starting etcd, kube-apiserver {setting('KUBERNETES_VERSION')}, controller manager, scheduler, kwok")
        started = time.monotonic()
        cluster.up()
        fake_nodes_and_volumes(cluster, volumes=30)
        info(f"control plane and 3 fake nodes ready ({time.monotonic() - started:.0f} s)")
        for values in VALUE_SETS:
            check_value_set(cluster, values, args.timeout)
        check_a_broken_install_fails(cluster)
        status = 0
    except CheckFailed as error:
        print(f"\033[31mk8s-check failed:\033[0m {error}", file=sys.stderr)
        info(f"logs of the control plane: {workdir}")
        args.keep = True
    except KeyboardInterrupt:
        status = 130
    finally:
        step("tearing down")
        cluster.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    verdict = "passed" if status == 0 else "FAILED"
    print(f"k8s-check {verdict} in {time.monotonic() - began:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
