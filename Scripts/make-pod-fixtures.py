#!/usr/bin/env python3
"""Builds the pod checkpoint fixtures (Fixtures/pods/) from real single-container checkpoints.

No runtime here writes pod checkpoints (KEP-5823), so each variant of ../shared/docs/PODS.md is
laid out by this script as its writer's source describes it, around real checkpoints:

  web     Fixtures/podman/ck-basic.none.tar (Podman 4.3.1 + runc + CRIU 4.2: sh, marker, httpd, sleep)
  worker  Fixtures/podman/nfx-ck.none.tar (the same writers: sh, inject, heapmark, sleep) in the CRI-O
          variants; Fixtures/containerd/nfx-ck.checkpoint-image.oci.tar (containerd 1.6.20 + runc +
          CRIU 4.2, the same programs) in the containerd variants.

Every byte of CRIU data (the images, pages included) is copied from those checkpoints. What the
script writes is only what the writers add around them: manifests, pod configs, pod.options, the
CRI configs and statuses, containerd's config.dump/status/status.dump, image indexes. The CRI-O
single-container archive is the Podman layout (PODS.md §7), so the Podman archives are used as
they are. Where containerd lays a container out differently, the same images are re-packed:

  * containerd's CRI archive (PODS.md §7, used by B0, D and P): checkpoint/ (the images),
    spec.dump, config.dump, status, status.dump, rootfs-diff.tar (gzip despite its name),
    container.log, stats-dump when the source has one.
  * containerd's OCI checkpoint image (PODS.md §4, B): the CRIU tar, the spec in a protobuf Any,
    runc's options and the runtime options (the real blobs of the containerd fixture), the rw
    layer, an inner index with containerd's media types and an outer index.json.

The worker's containerd blobs are the real ones; the web container's spec.dump is Podman's with
its engine annotations replaced by the CRI annotations containerd writes (io.kubernetes.cri.*),
and its rw layer is Podman's rootfs-diff.tar gzip-compressed (stored blocks, so the bytes do not
depend on the zlib version). Ids, timestamps, the pod's name, uid and configs are invented here
and are the same on every run: the output is byte-for-byte deterministic (a test checks that
Fixtures/pods is what this script writes).

Usage: Scripts/make-pod-fixtures.py [OUTPUT_DIR]   (default: Fixtures/pods)
"""

import base64
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import tarfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Fixtures")
WEB_PODMAN = os.path.join(FIX, "podman/ck-basic.none.tar")
WORKER_PODMAN = os.path.join(FIX, "podman/nfx-ck.none.tar")
WORKER_CONTAINERD = os.path.join(FIX, "containerd/nfx-ck.checkpoint-image.oci.tar")

# The pod (invented; the same on every run).
POD_NAME, POD_NAMESPACE, POD_UID = "store", "default", "7b3c1e52-6f0a-4d2b-9c1e-2a4f5b6c7d8e"
SANDBOX_ID = hashlib.sha256(b"sandbox store").hexdigest()
IDS = {"web": hashlib.sha256(b"container web").hexdigest(), "worker": hashlib.sha256(b"container worker").hexdigest()}
IMAGES = {"web": ("localhost/bb:latest", "sha256:a00ccab1a1275a9e687c5bd48f81815fa388219b4c0742257e9d5595bd809dbc"),
          "worker": ("localhost/nfxbb:latest", "sha256:7f401a4a5064d4445fe457c8be96e27f16e0cf78787fd3e28ae70cb8484b04c4")}
CREATED_NS = {"web": 1796209106750604855, "worker": 1796209106980000000}
STARTED_NS = {"web": 1796209107012345678, "worker": 1796209107234567890}
CHECKPOINTED = "2026-12-02T11:00:00Z"
MTIME = 1796209200  # 2026-12-02 11:00:00 UTC, for the files the writers add

SPEC_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Spec"
MT = {
    "criu": "application/vnd.containerd.container.criu.checkpoint.criu.tar",
    "config": "application/vnd.containerd.container.checkpoint.config.v1+proto",
    "options": "application/vnd.containerd.container.checkpoint.options.v1+proto",
    "runtime": "application/vnd.containerd.container.checkpoint.runtime.options+proto",
    "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
    "index": "application/vnd.oci.image.index.v1+json",
}


def go_json(value, indent=False):
    """encoding/json: compact, or MarshalIndent with two spaces; no HTML characters are used."""
    if indent:
        return json.dumps(value, indent=2, separators=(",", ": "), ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def gzip_stored(data):
    """gzip with stored deflate blocks: valid gzip whose bytes do not depend on zlib's version."""
    out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
    blocks = [data[i:i + 65535] for i in range(0, len(data), 65535)] or [b""]
    for k, block in enumerate(blocks):
        out += bytes([1 if k == len(blocks) - 1 else 0]) + struct.pack("<HH", len(block), 0xFFFF ^ len(block)) + block
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


def proto_len(field, data):
    """One length-delimited protobuf field."""
    key = bytes([field << 3 | 2])
    n, varint = len(data), bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        varint.append(b | (0x80 if n else 0))
        if not n:
            break
    return key + bytes(varint) + data


def read_tar(path):
    """The members of a tar: (TarInfo, bytes or None), in order."""
    with tarfile.open(path) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def write_tar(path, entries, prefix=""):
    """entries: (name, kind 'file'|'dir', data, mode, mtime), written in the order given, uid/gid 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data, mode, mtime in entries:
            info = tarfile.TarInfo(prefix + name)
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, mtime, 0, 0, "root", "root"
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    if path:
        write_file(path, data)
    return data


def write_file(path, data, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def podman_members(path):
    """A Podman archive's members as write_tar entries (names as stored, without './')."""
    out = []
    for m, data in read_tar(path):
        name = m.name[2:] if m.name.startswith("./") else m.name
        out.append((name + ("/" if m.isdir() and not name.endswith("/") else ""), "dir" if m.isdir() else "file", data, m.mode, m.mtime))
    return out


def member(entries, name):
    return next(data for n, kind, data, _, _ in entries if n == name)


# ---------------------------------------------------------------------------------------------
# CRI messages (cri-api, encoding/json over the protoc-gen-go structs: snake_case, zero values
# left out, enums as numbers, bytes as base64; PODS.md §3 "CRI JSON encoding").

def pod_sandbox_config():
    return {
        "metadata": {"name": POD_NAME, "uid": POD_UID, "namespace": POD_NAMESPACE},
        "hostname": POD_NAME,
        "log_directory": f"/var/log/pods/{POD_NAMESPACE}_{POD_NAME}_{POD_UID}",
        "dns_config": {"servers": ["10.96.0.10"], "searches": ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                       "options": ["ndots:5"]},
        "port_mappings": [{"container_port": 8080, "host_port": 30080}],
        "labels": {"app": "store", "io.kubernetes.pod.name": POD_NAME, "io.kubernetes.pod.namespace": POD_NAMESPACE,
                   "io.kubernetes.pod.uid": POD_UID},
        "annotations": {"kubernetes.io/config.seen": "2026-12-02T10:59:00.000000000Z", "kubernetes.io/config.source": "api"},
        "linux": {"cgroup_parent": f"kubepods-besteffort-pod{POD_UID.replace('-', '_')}.slice",
                  "security_context": {"namespace_options": {"pid": 1}, "seccomp": {}},
                  "sysctls": {"net.ipv4.ip_unprivileged_port_start": "0"}},
    }


def container_config(name, base64_env):
    spec = {"web": ["/bin/sh", "-c", "echo CONTAINER-WRITTEN-FILE-MARKER > /data/written.txt; rm /data/image.txt; /bin/marker CKPT-MARKER-PODMAN /tmp/m.pid & httpd -f -p 127.0.0.1:8080 -h /www & while true; do sleep 1000; done"],
            "worker": ["/bin/sh", "-c", "/bin/inject & /bin/heapmark & while true; do sleep 1000; done"]}[name]
    env = [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("POD_NAME", POD_NAME), ("ROLE", name)]
    value = (lambda v: base64.b64encode(v.encode()).decode()) if base64_env else (lambda v: v)
    config = {
        "metadata": {"name": name},
        "image": {"image": IMAGES[name][0], "user_specified_image": IMAGES[name][0]},
        "command": spec[:1], "args": spec[1:],
        "working_dir": "/",
        "envs": [{"key": k, "value": value(v)} for k, v in env],
        "mounts": [{"container_path": "/etc/hosts", "host_path": f"/var/lib/kubelet/pods/{POD_UID}/etc-hosts"},
                   {"container_path": "/dev/termination-log", "host_path": f"/var/lib/kubelet/pods/{POD_UID}/containers/{name}/0a1b2c3d"}],
        "labels": {"io.kubernetes.container.name": name, "io.kubernetes.pod.name": POD_NAME,
                   "io.kubernetes.pod.namespace": POD_NAMESPACE, "io.kubernetes.pod.uid": POD_UID},
        "annotations": {"io.kubernetes.container.hash": {"web": "5e1a2b3c", "worker": "9f8e7d6c"}[name],
                        "io.kubernetes.container.restartCount": "0"},
        "log_path": f"{name}/0.log",
        "linux": {"resources": {"cpu_period": 100000, "cpu_quota": {"web": 50000, "worker": 20000}[name], "cpu_shares": {"web": 512, "worker": 204}[name],
                                "memory_limit_in_bytes": {"web": 134217728, "worker": 67108864}[name], "oom_score_adj": 1000},
                  "security_context": {"namespace_options": {"pid": 1}, "run_as_user": {}, "masked_paths": ["/proc/acpi", "/proc/kcore"],
                                       "readonly_paths": ["/proc/bus", "/proc/sys"], "seccomp": {}}},
    }
    return config


def container_status(name):
    return {
        "id": IDS[name], "metadata": {"name": name}, "state": 1,
        "created_at": CREATED_NS[name], "started_at": STARTED_NS[name],
        "image": {"image": IMAGES[name][0]}, "image_ref": IMAGES[name][1],
        "labels": container_config(name, False)["labels"], "annotations": container_config(name, False)["annotations"],
        "mounts": [{"container_path": "/etc/hosts", "host_path": f"/var/lib/kubelet/pods/{POD_UID}/etc-hosts"}],
        "log_path": f"/var/log/pods/{POD_NAMESPACE}_{POD_NAME}_{POD_UID}/{name}/0.log",
        "resources": {"linux": {"cpu_period": 100000, "cpu_quota": {"web": 50000, "worker": 20000}[name],
                                "memory_limit_in_bytes": {"web": 134217728, "worker": 67108864}[name]}},
    }


# ---------------------------------------------------------------------------------------------
# containerd's single-container parts, from the real checkpoints.

def containerd_blobs():
    """The containerd fixture's blobs by media type of the checkpoint index (PODS.md §4)."""
    entries = {m.name: data for m, data in read_tar(WORKER_CONTAINERD) if data is not None}
    outer = json.loads(entries["index.json"])
    inner = json.loads(entries["blobs/sha256/" + outer["manifests"][0]["digest"][7:]])
    blobs = {}
    for d in inner["manifests"]:
        kind = next((k for k, v in MT.items() if v == d["mediaType"]), None)
        if kind:
            blobs[kind] = entries["blobs/sha256/" + d["digest"][7:]]
    blobs["base"] = inner["annotations"]["org.opencontainers.image.ref.name"]
    return blobs


def cri_spec(spec_bytes, name):
    """A spec as containerd's CRI writes it: the engine's annotations replaced by CRI's."""
    spec = json.loads(spec_bytes)
    annotations = {k: v for k, v in (spec.get("annotations") or {}).items()
                   if not k.startswith("io.podman.") and k != "io.container.manager" and not k.startswith("io.kubernetes.cri-o.")}
    annotations.update({
        "io.kubernetes.cri.container-name": name, "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.image-name": IMAGES[name][0], "io.kubernetes.cri.sandbox-id": SANDBOX_ID,
        "io.kubernetes.cri.sandbox-name": POD_NAME, "io.kubernetes.cri.sandbox-namespace": POD_NAMESPACE,
        "io.kubernetes.cri.sandbox-uid": POD_UID,
    })
    spec["annotations"] = dict(sorted(annotations.items()))
    return go_json(spec)


def containerd_parts(name):
    """(CRIU images as (name, data, mode, mtime), spec JSON, gzip rw layer, options, runtime options, stats-dump, log)."""
    if name == "worker":
        b = containerd_blobs()
        images = [(m.name, data, m.mode, m.mtime) for m, data in read_tar_bytes(b["criu"])]
        any_value = parse_any(b["config"])
        log = (b"inject pid 7: rwx=0x13370000 len=0x2000 elfcopy@0x13370000 marker@0x13371000 ; rx=0x13390000 len=0x1000 code_len=17 marker@0x13390100\n"
               b"heapmark pid 8: buf=0x1f2b06d0 utf16le@0x1f2b07d0 (40 bytes) span@0x1f2b1ff1 boundary=0x1f2b2000 (15 before, 15 after)\n")
        return images, any_value, b["layer"], b["options"], b["runtime"], None, log
    entries = podman_members(WEB_PODMAN)
    images = [(n[len("checkpoint/"):], d, mode, mtime) for n, kind, d, mode, mtime in entries if n.startswith("checkpoint/") and kind == "file"]
    b = containerd_blobs()
    spec = cri_spec(member(entries, "spec.dump"), name)
    return images, spec, gzip_stored(member(entries, "rootfs-diff.tar")), b["options"], b["runtime"], member(entries, "stats-dump"), b""


def read_tar_bytes(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]


def parse_any(data):
    """The value (field 2) of a protobuf Any whose type_url (field 1) is the OCI spec."""
    pos, fields = 0, {}
    while pos < len(data):
        key, pos = data[pos], pos + 1
        n, shift = 0, 0
        while True:
            b, pos = data[pos], pos + 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        fields[key >> 3], pos = data[pos:pos + n], pos + n
    assert fields[1].decode() == SPEC_TYPE
    return fields[2]


def containerd_cri_archive(name):
    """containerd's CheckpointContainer archive (PODS.md §7): archive.Diff names, directories end in '/'."""
    images, spec, layer, _, _, stats, log = containerd_parts(name)
    config = {"id": IDS[name], "name": name, "rootfsImage": IMAGES[name][1], "rootfsImageRef": IMAGES[name][1],
              "rootfsImageName": IMAGES[name][0], "runtime": "io.containerd.runc.v2", "createdTime": "2026-12-02T10:58:26.750604855Z",
              "checkpointedTime": CHECKPOINTED, "restoredTime": "0001-01-01T00:00:00Z", "restored": False}
    status = {"Version": "v1", "Pid": {"web": 4242, "worker": 4343}[name], "CreatedAt": CREATED_NS[name], "StartedAt": STARTED_NS[name],
              "FinishedAt": 0, "ExitCode": 0, "Reason": "", "Message": "", "Resources": None}
    files = {"checkpoint/" + n: (d, mode, mtime) for n, d, mode, mtime in images}
    files.update({"config.dump": (go_json(config, indent=True), 0o600, MTIME), "spec.dump": (spec, 0o600, MTIME),
                  "status": (go_json(status), 0o600, MTIME), "status.dump": (go_json(container_status(name), indent=True), 0o600, MTIME),
                  "rootfs-diff.tar": (layer, 0o600, MTIME), "container.log": (log, 0o600, MTIME)})
    if stats is not None:
        files["stats-dump"] = (stats, 0o644, MTIME)
    entries = [("checkpoint/", "dir", None, 0o700, MTIME)] + [(n, "file", d, mode, mtime) for n, (d, mode, mtime) in sorted(files.items())]
    return entries


def containerd_oci_archive(name):
    """The per-container archive of containerd's pod checkpoints (PODS.md §4): an OCI layout tar."""
    images, spec, layer, options, runtime_options, _, _ = containerd_parts(name)
    criu = write_tar(None, [(n, "file", d, mode, mtime) for n, d, mode, mtime in images])
    config = proto_len(1, SPEC_TYPE.encode()) + proto_len(2, spec)
    blobs = {}

    def blob(data):
        blobs[sha256(data)] = data
        return "sha256:" + sha256(data)

    platform = {"architecture": "amd64", "os": "linux"}
    descriptors = [(MT["runtime"], runtime_options), (MT["layer"], layer), (MT["criu"], criu), (MT["config"], config), (MT["options"], options)]
    inner = {"schemaVersion": 2,
             "manifests": [{"mediaType": mt, "digest": blob(data), "size": len(data), "platform": platform} for mt, data in descriptors],
             "annotations": {"io.containerd.checkpoint.runtime": "io.containerd.runc.v2", "io.containerd.checkpoint.snapshotter": "overlayfs",
                             "org.opencontainers.image.ref.name": IMAGES[name][0]}}
    inner_bytes = go_json(inner, indent=True)
    tag = sha256(IDS[name].encode())
    outer = {"schemaVersion": 2, "manifests": [{"mediaType": MT["index"], "digest": blob(inner_bytes), "size": len(inner_bytes),
                                                 "annotations": {"io.containerd.image.name": f"localhost/containerd-pod-checkpoint:{tag}",
                                                                 "org.opencontainers.image.ref.name": tag}}]}
    entries = [("blobs/", "dir", None, 0o755, 0), ("blobs/sha256/", "dir", None, 0o755, 0)]
    entries += [("blobs/sha256/" + d, "file", blobs[d], 0o444, 0) for d in sorted(blobs)]
    entries += [("index.json", "file", go_json(outer), 0o644, 0), ("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}', 0o444, 0)]
    return entries


# ---------------------------------------------------------------------------------------------
# The variants.

def crio_manifest_v1(out):
    """A: CRI-O PR #10313 (PODS.md §3): manifest version 1, runtime cri-o, sha256 per archive."""
    d = os.path.join(out, "cri-o-manifest-v1")
    containers = []
    for name, source in [("web", WEB_PODMAN), ("worker", WORKER_PODMAN)]:
        data = open(source, "rb").read()
        archive = "containers/" + sha256(IDS[name].encode()) + ".tar"
        write_file(os.path.join(d, archive), data)
        containers.append({"name": name, "id": IDS[name], "archive": archive, "sha256": sha256(data), "config": container_config(name, False)})
    write_file(os.path.join(d, "pod-config.json"), go_json(pod_sandbox_config()))
    manifest = {"version": 1, "runtime": "cri-o", "runtimeHandler": "runc", "sandboxId": SANDBOX_ID, "containers": containers}
    write_file(os.path.join(d, "checkpoint-manifest.json"), go_json(manifest))
    os.chmod(os.path.join(d, "containers"), 0o700)


def containerd_manifest_v2(out):
    """B: containerd PR #13822 (PODS.md §4): manifest version 2, OCI layout per container."""
    d = os.path.join(out, "containerd-manifest-v2")
    containers = []
    for name in ["web", "worker"]:
        archive = "container-" + sha256(IDS[name].encode()) + ".tar"
        write_tar(os.path.join(d, archive), containerd_oci_archive(name))
        containers.append({"name": name, "id": IDS[name], "archive": archive, "config": container_config(name, True),
                           "status": container_status(name)})
    write_file(os.path.join(d, "pod-config.json"), go_json(pod_sandbox_config()))
    write_file(os.path.join(d, "checkpoint-manifest.json"), go_json({"version": 2, "sandboxId": SANDBOX_ID, "containers": containers}))


def containerd_manifest_v1(out):
    """B0: the earlier revision of containerd PR #13822 (PODS.md §4): version 1, {name, id, archive}, CRI archives."""
    d = os.path.join(out, "containerd-manifest-v1")
    containers = []
    for name in ["web", "worker"]:
        archive = "container-" + sha256(IDS[name].encode()) + ".tar"
        write_tar(os.path.join(d, archive), containerd_cri_archive(name))
        containers.append({"name": name, "id": IDS[name], "archive": archive})
    write_file(os.path.join(d, "pod-config.json"), go_json(pod_sandbox_config()))
    write_file(os.path.join(d, "checkpoint-manifest.json"), go_json({"version": 1, "sandboxId": SANDBOX_ID, "containers": containers}))


def prototype(out):
    """P: the prototypes (rst0git/pod-snapshot-controller docs/design.md "Checkpoint Data Format"; PODS.md §1):
    {sandboxId, containers: [names]}, container-<name>.tar holding containerd's CRI archive."""
    d = os.path.join(out, "containerd-prototype")
    for name in ["web", "worker"]:
        write_tar(os.path.join(d, f"container-{name}.tar"), containerd_cri_archive(name))
    write_file(os.path.join(d, "pod-config.json"), go_json(pod_sandbox_config()))
    write_file(os.path.join(d, "checkpoint-manifest.json"), go_json({"sandboxId": SANDBOX_ID, "containers": ["web", "worker"]}))


def pod_options_annotations(engine):
    return {"org.criu.checkpoint.cgroup.version": "v?" if engine == "cri-o" else "v1",
            "org.criu.checkpoint.criu.version": "40200",
            "org.criu.checkpoint.distribution.name": "Debian GNU/Linux", "org.criu.checkpoint.distribution.version": "12",
            "org.criu.checkpoint.engine.name": engine, "org.criu.checkpoint.engine.version": "1.34.0" if engine == "cri-o" else "2.1.0",
            "org.criu.checkpoint.host.arch": "amd64", "org.criu.checkpoint.host.kernel": "6.18.44",
            "org.criu.checkpoint.pod.id": SANDBOX_ID, "org.criu.checkpoint.pod.name": POD_NAME,
            "org.criu.checkpoint.pod.namespace": POD_NAMESPACE, "org.criu.checkpoint.pod.uid": POD_UID}


def crio_pod_archive(out):
    """C: CRI-O PR #9758 (PODS.md §5): one tar, './' names (IncludeSourceDir), pod.options, <id>-k8s_... directories."""
    entries = [("", "dir", None, 0o700, MTIME)]
    containers = {}
    for name, source in [("web", WEB_PODMAN), ("worker", WORKER_PODMAN)]:
        directory = f"{IDS[name]}-k8s_{name}_{POD_NAME}_{POD_NAMESPACE}_{POD_UID}_0"
        containers[name] = directory
        entries.append((directory + "/", "dir", None, 0o700, MTIME))
        entries += [(directory + "/" + n, kind, data, mode, mtime) for n, kind, data, mode, mtime in podman_members(source)]
    options = {"version": 1, "containers": dict(sorted(containers.items())), "annotations": pod_options_annotations("cri-o")}
    entries.insert(1, ("pod.options", "file", go_json(options, indent=True), 0o600, MTIME))
    write_tar(os.path.join(out, "cri-o-pod-archive.tar"), entries, prefix="./")


def containerd_pod_archive(out):
    """D: containerd PR #12932 (PODS.md §5): one tar from archive.Diff, pod.options, pod.dump, <id>-<full name>/ directories."""
    entries = []
    containers = {}
    for name in ["web", "worker"]:
        full = f"{name}_{POD_NAME}_{POD_NAMESPACE}_{POD_UID}_0"
        directory = f"{IDS[name]}-{full}"
        containers[full] = directory
        entries.append((directory + "/", "dir", None, 0o700, MTIME))
        entries += [(directory + "/" + n, kind, data, mode, mtime) for n, kind, data, mode, mtime in containerd_cri_archive(name)]
    options = {"version": 1, "containers": dict(sorted(containers.items())), "annotations": pod_options_annotations("containerd")}
    entries += [("pod.dump", "file", go_json(pod_sandbox_config()), 0o600, MTIME),
                ("pod.options", "file", go_json(options, indent=True), 0o600, MTIME)]
    write_tar(os.path.join(out, "containerd-pod-archive.tar"), entries)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIX, "pods")
    if os.path.isdir(out):
        for name in os.listdir(out):
            if name != "README.md":
                path = os.path.join(out, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(out, exist_ok=True)
    for build in [crio_manifest_v1, containerd_manifest_v2, containerd_manifest_v1, prototype, crio_pod_archive, containerd_pod_archive]:
        build(out)


if __name__ == "__main__":
    main()
