"""Mirrors upstream's test/e2e/apimachinery/chunking.go ("Servers with support for API
chunking") with Secrets for PodTemplates (csrsim does not store PodTemplates): 400 objects
named template-%04d, listed in pages of random limits three times (one resourceVersion per
paged list, remainingItemCount set exactly while a continue token is, names in order), then
all at once; and "should support continue listing from the last key if the original version
has been compacted away": the first page's token expires once its revision is compacted (here:
virtual time advanced past the 5-minute window and one more write) and answers 410 Expired with
an inconsistent-continue token in the Status's ListMeta, which lists the rest at a newer
resourceVersion. Run against `csrsim serve --clock virtual`.
Usage: KUBECONFIG=... python3 upstream_chunking.py WORKDIR"""
import json
import random
from concurrent.futures import ThreadPoolExecutor

from kubernetes import client, config

from upstream_util import advance_clock

config.load_kube_config()
core = client.CoreV1Api()
TOTAL = 400
ns = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="chunking-"))).metadata.name


def create(i):
    for _ in range(4):
        try:
            core.create_namespaced_secret(ns, client.V1Secret(
                metadata=client.V1ObjectMeta(name="template-%04d" % i), string_data={"test": "test2"}))
            return
        except client.exceptions.ApiException as e:
            print("Got an error creating template %d: %s" % (i, e))
    raise AssertionError("Unable to create template %d" % i)


with ThreadPoolExecutor(20) as pool:
    list(pool.map(create, range(TOTAL)))


def check_remaining(lst, found):
    remaining = lst.metadata.remaining_item_count
    if not lst.metadata._continue:
        assert remaining is None, lst.metadata
    else:
        assert remaining is not None and remaining + len(lst.items) + found == TOTAL, (remaining, found)


# should return chunks of results for list calls
rnd = random.Random(1)
for _ in range(3):
    found, last_rv, cont = 0, None, None
    while True:
        limit = rnd.randrange(TOTAL // 10) + 1
        lst = core.list_namespaced_secret(ns, limit=limit, _continue=cont)
        assert len(lst.items) <= limit
        last_rv = last_rv or lst.metadata.resource_version
        assert lst.metadata.resource_version == last_rv, (lst.metadata.resource_version, last_rv)
        check_remaining(lst, found)
        for item in lst.items:
            assert item.metadata.name == "template-%04d" % found, (item.metadata.name, found)
            found += 1
        if not lst.metadata._continue:
            break
        cont = lst.metadata._continue
    assert found == TOTAL, found
lst = core.list_namespaced_secret(ns, limit=TOTAL + 1)
assert len(lst.items) == TOTAL and not lst.metadata._continue

# should support continue listing from the last key if the original version has been
# compacted away, though the list is inconsistent
one_tenth = TOTAL // 10
lst = core.list_namespaced_secret(ns, limit=one_tenth)
first_token, first_rv = lst.metadata._continue, lst.metadata.resource_version
check_remaining(lst, 0)
# still consistent before compaction
again = core.list_namespaced_secret(ns, limit=one_tenth, _continue=first_token)
assert again.metadata.resource_version == first_rv
# etcd's compactor keeps the revision it noted 5 minutes earlier, so a token expires once a
# write newer than its revision is more than 5 minutes old (a live cluster always writes)
core.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="before-compaction")))
advance_clock(core.api_client, "6m")
core.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="after-compaction")))
try:
    core.list_namespaced_secret(ns, limit=one_tenth, _continue=first_token)
    raise AssertionError("the continue token did not expire")
except client.exceptions.ApiException as e:
    assert e.status == 410, (e.status, e.body)
    st = json.loads(e.body)
assert st["reason"] == "Expired" and st["code"] == 410, st
assert st["message"] == (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."), st["message"]
inconsistent = st["metadata"]["continue"]
assert inconsistent, st
lst = core.list_namespaced_secret(ns, limit=one_tenth, _continue=inconsistent)
assert lst.metadata.resource_version != first_rv
assert len(lst.items) == one_tenth
found = one_tenth
check_remaining(lst, found)
for item in lst.items:
    assert item.metadata.name == "template-%04d" % found, (item.metadata.name, found)
    found += 1
cont, last_rv = lst.metadata._continue, lst.metadata.resource_version
while True:
    lst = core.list_namespaced_secret(ns, limit=one_tenth, _continue=cont)
    check_remaining(lst, found)
    assert len(lst.items) <= one_tenth
    assert lst.metadata.resource_version == last_rv
    for item in lst.items:
        assert item.metadata.name == "template-%04d" % found, (item.metadata.name, found)
        found += 1
    if not lst.metadata._continue:
        break
    cont = lst.metadata._continue
assert found == TOTAL, found

print("upstream chunking: ok")
