"""Mirrors upstream's test/e2e/apimachinery/watch.go (the five "Watchers" conformance tests,
v1.11/v1.15) with Secrets instead of ConfigMaps (csrsim lists configmaps but does not store
them): multiple label-selector watchers, watch from a resourceVersion, restart from the last
observed resourceVersion, an object leaving and re-entering a selector (DELETED/ADDED), and
concurrent watches started at each event's resourceVersion receiving the same order; and
protocol.go's watch under each Accept client-go sends.
`setConfigMapData(cm, "mutation", "N")` becomes `stringData: {"mutation": "N"}`.
Usage: KUBECONFIG=... python3 upstream_watch.py WORKDIR"""
import json
import queue
import random
import threading
import time

from kubernetes import client, config, watch

config.load_kube_config()
core = client.CoreV1Api()
KEY = "watch-this-secret"
ns = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="watch-"))).metadata.name


class W:
    """watchConfigMaps: a watch with `KEY in (labels...)` from resourceVersion `rv`."""

    def __init__(self, rv, *labels):
        self.q = queue.Queue()
        self.w = watch.Watch()
        sel = "%s in (%s)" % (KEY, ",".join(labels)) if labels else None
        kw = {"timeout_seconds": 120}
        if rv:
            kw["resource_version"] = rv
        if sel:
            kw["label_selector"] = sel
        ready = threading.Event()
        self.t = threading.Thread(target=self._run, args=(kw, ready), daemon=True)
        self.t.start()
        ready.wait()
        time.sleep(0.3)  # the GET is on the wire before the test writes

    def _run(self, kw, ready):
        ready.set()
        try:
            for ev in self.w.stream(core.list_namespaced_secret, ns, **kw):
                self.q.put(ev)
        except Exception as e:  # noqa: BLE001 - reported through the queue
            self.q.put({"type": "ERROR", "object": repr(e)})

    def wait(self, etype, obj, timeout):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                return None
            assert not (ev["type"] == "ERROR" and isinstance(ev["object"], str)), ev
            if ev["type"] == etype and (obj is None or ev["object"] == obj):
                return ev

    def expect(self, etype, obj=None):
        ev = self.wait(etype, obj, 30)
        assert ev is not None, ("timed out waiting for", etype, obj)
        return ev

    def expect_none(self, etype, obj=None):
        ev = self.wait(etype, obj, 2)
        assert ev is None, ("unexpected", ev)

    def stop(self):
        self.w.stop()


def secret(name, label):
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name, labels={KEY: label}))


def update(name, fn):
    s = core.read_namespaced_secret(name, ns)
    fn(s)
    return core.replace_namespaced_secret(name, ns, s)


def mutate(n):
    def fn(s):
        s.data = dict(s.data or {}, mutation=__import__("base64").b64encode(str(n).encode()).decode())
    return fn


# 1. should observe add, update, and delete watch notifications on configmaps
A, B = "multiple-watchers-A", "multiple-watchers-B"
wa, wb, wab = W("", A), W("", B), W("", A, B)
sa = core.create_namespaced_secret(ns, secret("e2e-watch-test-secret-a", A))
wa.expect("ADDED", sa); wab.expect("ADDED", sa); wb.expect_none("ADDED", sa)
sa = update(sa.metadata.name, mutate(1))
wa.expect("MODIFIED", sa); wab.expect("MODIFIED", sa); wb.expect_none("MODIFIED", sa)
sa = update(sa.metadata.name, mutate(2))
wa.expect("MODIFIED", sa); wab.expect("MODIFIED", sa); wb.expect_none("MODIFIED", sa)
core.delete_namespaced_secret(sa.metadata.name, ns)
wa.expect("DELETED"); wab.expect("DELETED"); wb.expect_none("DELETED")
sb = core.create_namespaced_secret(ns, secret("e2e-watch-test-secret-b", B))
wb.expect("ADDED", sb); wab.expect("ADDED", sb); wa.expect_none("ADDED", sb)
core.delete_namespaced_secret(sb.metadata.name, ns)
wb.expect("DELETED"); wab.expect("DELETED"); wa.expect_none("DELETED")
for w in (wa, wb, wab):
    w.stop()

# 2. should be able to start watching from a specific resource version
L = "from-resource-version"
s = core.create_namespaced_secret(ns, secret("e2e-watch-test-resource-version", L))
first = update(s.metadata.name, mutate(1))
second = update(s.metadata.name, mutate(2))
deleted = core.delete_namespaced_secret(s.metadata.name, ns)
w = W(first.metadata.resource_version, L)
w.expect("MODIFIED", second)
ev = w.expect("DELETED")
assert int(ev["object"].metadata.resource_version) > int(second.metadata.resource_version), ev
assert ev["object"].data == second.data, ev
w.stop()

# 3. should be able to restart watching from the last resource version observed by the previous watch
L = "watch-closed-and-restarted"
broken = W("", L)
s = core.create_namespaced_secret(ns, secret("e2e-watch-test-watch-closed", L))
update(s.metadata.name, mutate(1))
broken.expect("ADDED", s)
last = broken.expect("MODIFIED")
broken.stop()
second = update(s.metadata.name, mutate(2))
restarted = W(last["object"].metadata.resource_version, L)
core.delete_namespaced_secret(s.metadata.name, ns)
restarted.expect("MODIFIED", second)
restarted.expect("DELETED")
restarted.stop()

# 4. should observe an object deletion if it stops meeting the requirements of the selector
L = "label-changed-and-restored"
w = W("", L)
s = core.create_namespaced_secret(ns, secret("e2e-watch-test-label-changed", L))
first = update(s.metadata.name, mutate(1))


def relabel(v):
    def fn(x):
        x.metadata.labels[KEY] = v
    return fn


update(s.metadata.name, relabel("wrong-value"))
w.expect("ADDED", s)
w.expect("MODIFIED", first)
gone = w.expect("DELETED")
# the cacher's DELETED for an object leaving the selection carries its previous state (which
# matched) at the resourceVersion of the update that made it leave
assert gone["object"].metadata.labels[KEY] == L and gone["object"].data == first.data, gone
assert int(gone["object"].metadata.resource_version) > int(first.metadata.resource_version), gone
second = update(s.metadata.name, mutate(2))
w.expect_none("MODIFIED", second)
restored = update(s.metadata.name, relabel(L))
third = update(s.metadata.name, mutate(3))
core.delete_namespaced_secret(s.metadata.name, ns)
w.expect("ADDED", restored)
w.expect("MODIFIED", third)
w.expect("DELETED")
w.stop()

# 5. should receive events on concurrent watches in same order
ns2 = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="watch-order-"))).metadata.name
rv = core.list_namespaced_secret(ns2).metadata.resource_version
stop = threading.Event()


def produce():
    rnd = random.Random(7)
    existing, i = [], 0
    while not stop.is_set():
        op = rnd.randrange(3) if existing else 0
        if op == 0:
            core.create_namespaced_secret(ns2, client.V1Secret(metadata=client.V1ObjectMeta(name="s-%d" % i)))
            existing.append(i)
            i += 1
        elif op == 1:  # an unconditional update (no resourceVersion), as upstream's
            n = "s-%d" % existing[rnd.randrange(len(existing))]
            core.replace_namespaced_secret(n, ns2, client.V1Secret(metadata=client.V1ObjectMeta(name=n)))
        else:
            n = "s-%d" % existing.pop(rnd.randrange(len(existing)))
            core.delete_namespaced_secret(n, ns2)
        time.sleep(0.005)


class Raw:
    def __init__(self, rv):
        self.q = queue.Queue()
        self.w = watch.Watch()
        threading.Thread(target=self._run, args=(rv,), daemon=True).start()

    def _run(self, rv):
        try:
            for ev in self.w.stream(core.list_namespaced_secret, ns2, resource_version=rv, timeout_seconds=120):
                self.q.put(ev)
        except Exception as e:  # noqa: BLE001 - reported through the queue
            self.q.put({"type": "ERROR", "object": repr(e)})

    def next_rv(self):
        ev = self.q.get(timeout=10)
        assert ev["type"] != "ERROR", ev
        return ev["object"].metadata.resource_version


producer = threading.Thread(target=produce, daemon=True)
producer.start()
wcs = []
for _ in range(30):
    wcs.append(Raw(rv))
    rv = wcs[0].next_rv()
    for wc in wcs[1:]:
        got = wc.next_rv()
        assert got == rv, ("resource version mismatch", rv, got)
stop.set()
producer.join()
for wc in wcs:
    wc.w.stop()

# test/e2e/apimachinery/protocol.go "client-go should negotiate watch and report errors with
# accept …" (Secrets for ConfigMaps): a watch from a list's resourceVersion by metadata.name,
# under each Accept client-go may send; its first event is the object's ADDED (csrsim answers
# every one in JSON, which client-go decodes by the response's Content-Type)
name = "e2e-client-go-test-negotiation"
before = core.list_namespaced_secret(ns).metadata.resource_version
core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name=name)))
api = core.api_client
for accept in ["application/json", "application/vnd.kubernetes.protobuf",
               "application/vnd.kubernetes.protobuf,application/json",
               "application/json,application/vnd.kubernetes.protobuf"]:
    m, url, headers, _, _ = api.param_serialize(
        "GET", "/api/v1/namespaces/%s/secrets" % ns, header_params={"Accept": accept},
        query_params=[("watch", "true"), ("resourceVersion", before),
                      ("fieldSelector", "metadata.name=" + name), ("timeoutSeconds", "1")],
        auth_settings=["BearerToken"])
    r = api.call_api(m, url, header_params=headers)
    r.read()
    assert r.status == 200, (accept, r.status, r.data)
    assert r.getheader("content-type") == "application/json", (accept, r.getheaders())
    first = json.loads(r.data.split(b"\n")[0])
    assert first["type"] in ("ADDED", "MODIFIED") and first["object"]["metadata"]["name"] == name, first

print("upstream watch: ok")
