#!/usr/bin/env python3
"""Checks deploy/daemonset.yaml and deploy/Dockerfile against what the code needs.

    deploy_test.py SOURCE_DIR TAPIO_TRACE_BINARY              check the real files
    deploy_test.py SOURCE_DIR TAPIO_TRACE_BINARY --self-test  feed mutated copies, expect each to fail

src/host_needs.h is the code's one list of the host paths it reads and the
capabilities it uses; every entry there must have a decision in NEEDS below
(how the DaemonSet provides it), so a new entry fails this test until the
manifest and this table are updated together.
"""

import copy
import re
import subprocess
import sys
from pathlib import Path

try:
    import yaml
except ImportError:
    sys.exit("deploy_test.py: needs PyYAML (Debian's python3-yaml; scripts/deps.sh installs it)")

NAMESPACE = "tapio-trace"
APP = "tapio-trace"
# Where the host's cgroup tree is mounted in the container (the code finds it
# through /proc/self/mountinfo, wherever it is).
HOST_PREFIX = "/host"

# How the DaemonSet provides each entry of src/host_needs.h:
#   "same":   a read-only hostPath mount of that host path at the same path
#   "host":   a read-only hostPath mount of that host path under HOST_PREFIX
#   "one_of": (a list) a read-only hostPath mount of at least one of them, at the same path
#   "sysfs":  visible in the container's own /sys (sysfs is not namespaced for it): no mount
#   "never":  must not be mounted (secrets): no hostPath at, above or below it
#   "caps":   the capability set: capabilities.add is exactly it
#   "optional_caps": capabilities for old kernels only, not added by default
NEEDS = {
    "btf_vmlinux": "sysfs",
    "tracefs_dirs": "one_of",
    "tracefs_mount_point": "same",
    "cgroup_root": "host",
    "pod_logs": "same",
    "container_logs": "same",
    "kubelet_root": "never",
    "capabilities": "caps",
    "capabilities_before_5_11": "optional_caps",
}


def parse_host_needs(text):
    """The `inline constexpr std::string_view NAME = "..."` (or NAME[] = {...}) entries."""
    needs = {}
    pattern = re.compile(
        r'inline\s+constexpr\s+std::string_view\s+(\w+)\s*(\[\s*\])?\s*=\s*(\{[^}]*\}|"[^"]*")\s*;', re.S)
    for m in pattern.finditer(text):
        name, is_array, value = m.group(1), m.group(2), m.group(3)
        strings = re.findall(r'"([^"]*)"', value)
        needs[name] = strings if is_array else strings[0]
    return needs


def cmake_version(text):
    m = re.search(r"project\(\s*tapio-trace\s+VERSION\s+([0-9.]+)", text)
    return m.group(1) if m else None


def dockerfile_stages(text):
    """[(base, alias, [instruction lines])] with continuation lines joined."""
    lines = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        lines.append(current)
        current = ""
    stages = []
    for line in lines:
        m = re.match(r"FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            stages.append((m.group(1), m.group(2), []))
        elif stages:
            stages[-1][2].append(line)
    return stages


def path_within(path, root):
    path, root = path.rstrip("/") or "/", root.rstrip("/") or "/"
    return path == root or path.startswith(root + "/") or root == "/"


class HelpCache:
    def __init__(self, binary):
        self.binary = binary
        self.cache = {}

    def __call__(self, sub):
        if sub not in self.cache:
            r = subprocess.run([self.binary, "help", sub], capture_output=True, text=True)
            self.cache[sub] = r.stdout if r.returncode == 0 else None
        return self.cache[sub]


def check_args(args, help_text_of, errors):
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        errors.append(f"container args must be a list of strings, not {args!r}")
        return
    sub = next((a for a in args if not a.startswith("-") and help_text_of(a) is not None), None)
    if sub is None or sub in ("help", "doctor", "schema"):
        errors.append(f"container args {args}: no tracing subcommand (proc, net, file, mem or all)")
        return
    flags = set(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", help_text_of(sub)))
    for a in args:
        if not a.startswith("-") or a == "-":
            continue
        name = a.split("=", 1)[0] if a.startswith("--") else a[:2]
        if name not in flags:
            errors.append(f"container args: {name} is not a flag of `tapio-trace {sub}` (tapio-trace help {sub})")
    joined = " ".join(args)
    if not re.search(r"(^| )(--json|-j|-o json|--output json|--output=json)( |$)", joined):
        errors.append(f"container args {args}: no --json; kubectl logs collectors expect JSON lines")


def check(docs, dockerfile, host_needs_text, cmake_text, help_text_of):
    """Every problem found, as sentences; empty when the manifest is right."""
    errors = []
    docs = [d for d in docs if d]
    kinds = {}
    for d in docs:
        kinds.setdefault(d.get("kind"), []).append(d)
    for kind in ("Namespace", "ServiceAccount", "DaemonSet"):
        if len(kinds.get(kind, [])) != 1:
            errors.append(f"expected one {kind}, found {len(kinds.get(kind, []))}")
    for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"):
        if kind in kinds:
            errors.append(f"{kind} present: tapio-trace needs no API access")
    if len(kinds.get("DaemonSet", [])) != 1:
        return errors
    ns = kinds.get("Namespace", [{}])[0]
    if ns.get("metadata", {}).get("name") != NAMESPACE:
        errors.append(f"Namespace is not {NAMESPACE}")
    for d in docs:
        if d.get("kind") != "Namespace" and d.get("metadata", {}).get("namespace") != NAMESPACE:
            errors.append(f"{d.get('kind')} is not in namespace {NAMESPACE}")
    for sa in kinds.get("ServiceAccount", []):
        if sa.get("automountServiceAccountToken") is not False:
            errors.append("ServiceAccount: automountServiceAccountToken must be false")

    ds = kinds["DaemonSet"][0]
    spec = ds.get("spec", {})
    if spec.get("selector", {}).get("matchLabels", {}).get("app") != APP:
        errors.append(f"DaemonSet selector is not app: {APP}")
    tmpl = spec.get("template", {})
    if tmpl.get("metadata", {}).get("labels", {}).get("app") != APP:
        errors.append(f"pod template is not labelled app: {APP} (kubectl logs -l app={APP})")
    pod = tmpl.get("spec", {})
    if pod.get("hostPID") is not True:
        errors.append("hostPID must be true (the host's pids and /proc)")
    if pod.get("hostNetwork"):
        errors.append("hostNetwork is not needed")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append("pod: automountServiceAccountToken must be false")
    if not any(t.get("operator") == "Exists" and "key" not in t for t in pod.get("tolerations") or []):
        errors.append("tolerations: one `operator: Exists` with no key, to run on every node")
    containers = pod.get("containers") or []
    if len(containers) != 1:
        errors.append(f"expected one container, found {len(containers)}")
        return errors
    c = containers[0]
    sc = c.get("securityContext") or {}
    if sc.get("privileged") not in (None, False):
        errors.append(f"privileged: {sc.get('privileged')}: the capabilities below are enough")
    if sc.get("runAsUser") != 0:
        errors.append("runAsUser must be 0 (tracefs is root's, mode 0700)")
    if sc.get("readOnlyRootFilesystem") is not True:
        errors.append("readOnlyRootFilesystem must be true (tapio-trace writes nothing)")
    if sc.get("allowPrivilegeEscalation") is not False:
        errors.append("allowPrivilegeEscalation must be false")
    if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        errors.append("seccompProfile must be RuntimeDefault (it allows bpf and perf_event_open with these capabilities)")
    caps = sc.get("capabilities") or {}
    add = caps.get("add") or []
    drop = caps.get("drop") or []
    if "ALL" not in drop:
        errors.append("capabilities.drop must contain ALL")
    for cap in add:
        if cap.upper().startswith("CAP_"):
            errors.append(f"capabilities.add: {cap}: Kubernetes spells capabilities without CAP_")

    needs = parse_host_needs(host_needs_text)
    if not needs:
        errors.append("src/host_needs.h: no entries parsed")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = []  # (host path, mount path, read only)
    for m in c.get("volumeMounts") or []:
        v = volumes.get(m.get("name"))
        if v is None:
            errors.append(f"volumeMount {m.get('name')} has no volume")
            continue
        if "hostPath" in v:
            mounts.append((v["hostPath"].get("path", ""), m.get("mountPath", ""), m.get("readOnly") is True))
    for host, where, ro in mounts:
        if not ro:
            errors.append(f"hostPath {host} is mounted writable; tapio-trace only reads the host")
    for host in (v["hostPath"].get("path", "") for v in volumes.values() if "hostPath" in v):
        if host.rstrip("/") in ("", "/"):
            errors.append("hostPath / mounts the whole host")

    def mounted(host, at):
        return any(h.rstrip("/") == host.rstrip("/") and w.rstrip("/") == at.rstrip("/") and ro
                   for h, w, ro in mounts)

    for name, value in needs.items():
        policy = NEEDS.get(name)
        if policy is None:
            errors.append(f"src/host_needs.h: {name} ({value}) has no decision in tests/deploy_test.py's NEEDS: "
                          "mount it in deploy/daemonset.yaml (or say why not) and add it there")
        elif policy == "same" and not mounted(value, value):
            errors.append(f"{name}: {value} is not a read-only hostPath mount at {value}")
        elif policy == "host" and not mounted(value, HOST_PREFIX + value):
            errors.append(f"{name}: {value} is not a read-only hostPath mount at {HOST_PREFIX}{value}")
        elif policy == "one_of" and not any(mounted(v, v) for v in value):
            errors.append(f"{name}: none of {value} is a read-only hostPath mount at the same path")
        elif policy == "sysfs":
            if any(path_within(value, w) for _, w, _ in mounts):
                errors.append(f"{name}: {value} comes from the container's own /sys; do not mount over it")
        elif policy == "never":
            for h, w, _ in mounts:
                if path_within(value, h) or path_within(h, value) or path_within(w, value):
                    errors.append(f"{name}: {value} must not be mounted (it holds the pods' secrets); "
                                  f"hostPath {h} at {w} exposes it")
        elif policy == "caps":
            want = sorted(v.removeprefix("CAP_") for v in value)
            if sorted(add) != want:
                errors.append(f"capabilities.add is {sorted(add)}; the code needs exactly {want} (src/host_needs.h)")
        elif policy == "optional_caps":
            for v in value:
                if v.removeprefix("CAP_") in add:
                    errors.append(f"capabilities.add: {v.removeprefix('CAP_')} is only for kernels before 5.11; "
                                  "deploy/README.md says how to add it there")
    for name in NEEDS:
        if name not in needs:
            errors.append(f"tests/deploy_test.py's NEEDS names {name}, which src/host_needs.h does not have")

    check_args(c.get("args"), help_text_of, errors)
    if c.get("command"):
        errors.append("command overrides the image's ENTRYPOINT; set args only")

    # The image: the Dockerfile's runtime stage, its version, the manifest's tag.
    version = cmake_version(cmake_text)
    image = c.get("image", "")
    m = re.fullmatch(r"(?:[^/]+/)*tapio-trace:([\w.-]+)", image)
    if not m:
        errors.append(f"image {image!r} is not <registry>/tapio-trace:<version>")
    elif m.group(1) != version:
        errors.append(f"image tag {m.group(1)} is not the project's version {version} (CMakeLists.txt)")
    stages = dockerfile_stages(dockerfile)
    if len(stages) < 2:
        errors.append("Dockerfile: expected a build stage and a runtime stage")
        return errors
    base, _, runtime = stages[-1]
    if not base.startswith("gcr.io/distroless/"):
        errors.append(f"Dockerfile: runtime stage is FROM {base}, not distroless")
    if "static" in base and not any("-DTAPIO_STATIC=ON" in line for _, _, ls in stages[:-1] for line in ls):
        errors.append("Dockerfile: a distroless/static runtime needs the build with -DTAPIO_STATIC=ON")
    builders = {alias for _, alias, _ in stages[:-1] if alias}
    copied = None
    for line in runtime:
        cm = re.match(r"COPY\s+--from=(\S+)\s+(\S*tapio-trace)\s+(\S+)", line)
        if cm and cm.group(1) in builders:
            copied = cm.group(3)
    if copied is None:
        errors.append("Dockerfile: the runtime stage does not COPY --from the build stage the tapio-trace binary")
    entry = [line for line in runtime if line.upper().startswith("ENTRYPOINT")]
    if not entry:
        errors.append("Dockerfile: no ENTRYPOINT in the runtime stage")
    elif copied is not None and not re.fullmatch(r'ENTRYPOINT\s+\[\s*"%s"\s*\]' % re.escape(copied), entry[-1]):
        errors.append(f"Dockerfile: ENTRYPOINT is not [\"{copied}\"]: {entry[-1]}")
    labels = " ".join(line for line in runtime if line.upper().startswith("LABEL"))
    lm = re.search(r'org\.opencontainers\.image\.version="([^"]*)"', labels)
    if not lm or lm.group(1) != version:
        errors.append(f"Dockerfile: org.opencontainers.image.version is not {version} (CMakeLists.txt)")
    return errors


# ---- --self-test: each mutation must be caught --------------------------------
def _ds(docs):
    return next(d for d in docs if d and d.get("kind") == "DaemonSet")


def _pod(docs):
    return _ds(docs)["spec"]["template"]["spec"]


def _ctr(docs):
    return _pod(docs)["containers"][0]


def _sc(docs):
    return _ctr(docs)["securityContext"]


def _drop_mount(docs, mount_path):
    c = _ctr(docs)
    c["volumeMounts"] = [m for m in c["volumeMounts"] if m["mountPath"] != mount_path]


def _add_mount(docs, host, at, ro=True):
    _pod(docs)["volumes"].append({"name": "extra", "hostPath": {"path": host}})
    _ctr(docs)["volumeMounts"].append({"name": "extra", "mountPath": at, "readOnly": ro})


def _set_ro(docs, mount_path, ro):
    for m in _ctr(docs)["volumeMounts"]:
        if m["mountPath"] == mount_path:
            m["readOnly"] = ro


MUTATIONS = {
    "privileged": lambda d: _sc(d).update(privileged=True),
    "no hostPID": lambda d: _pod(d).update(hostPID=False),
    "no cgroup mount": lambda d: _drop_mount(d, "/host/sys/fs/cgroup"),
    "no tracefs mount": lambda d: _drop_mount(d, "/sys/kernel/tracing"),
    "no pod logs mount": lambda d: _drop_mount(d, "/var/log/pods"),
    "writable container logs": lambda d: _set_ro(d, "/var/log/containers", False),
    "kubelet root mounted": lambda d: _add_mount(d, "/var/lib/kubelet", "/var/lib/kubelet"),
    "/var mounted (holds the kubelet root)": lambda d: _add_mount(d, "/var", "/host/var"),
    "BTF mounted over": lambda d: _add_mount(d, "/sys/kernel/btf", "/sys/kernel/btf"),
    "capability missing": lambda d: _sc(d)["capabilities"]["add"].remove("PERFMON"),
    "capability extra": lambda d: _sc(d)["capabilities"]["add"].append("NET_ADMIN"),
    "old-kernel capability by default": lambda d: _sc(d)["capabilities"]["add"].append("SYS_RESOURCE"),
    "CAP_ spelling": lambda d: _sc(d)["capabilities"].update(add=["CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"]),
    "drop not ALL": lambda d: _sc(d)["capabilities"].update(drop=["NET_RAW"]),
    "seccomp unconfined": lambda d: _sc(d).update(seccompProfile={"type": "Unconfined"}),
    "writable root": lambda d: _sc(d).update(readOnlyRootFilesystem=False),
    "unknown flag": lambda d: _ctr(d)["args"].append("--no-such-flag"),
    "no subcommand": lambda d: _ctr(d).update(args=["--json"]),
    "table output": lambda d: _ctr(d).update(args=["all"]),
    "image tag": lambda d: _ctr(d).update(image="registry.example/tapio-trace:9.9.9"),
    "token mounted": lambda d: _pod(d).update(automountServiceAccountToken=True),
    "no Namespace": lambda d: d.remove(next(x for x in d if x and x.get("kind") == "Namespace")),
    "RBAC": lambda d: d.append({"kind": "ClusterRole", "metadata": {"name": "x"}}),
}

DOCKERFILE_MUTATIONS = {
    "runtime not distroless": lambda t: t.replace("FROM gcr.io/distroless/static-debian12", "FROM debian:12"),
    "static runtime, dynamic build": lambda t: t.replace("-DTAPIO_STATIC=ON", ""),
    "no ENTRYPOINT": lambda t: re.sub(r"(?m)^ENTRYPOINT.*$", "", t),
    "ENTRYPOINT elsewhere": lambda t: re.sub(r"(?m)^ENTRYPOINT.*$", 'ENTRYPOINT ["/bin/sh"]', t),
    "binary not copied": lambda t: re.sub(r"(?m)^COPY --from=.*$", "", t),
    "version label": lambda t: re.sub(r'image\.version="[^"]*"', 'image.version="0.0.0"', t),
}

HOST_NEEDS_MUTATIONS = {
    "new host path": lambda t: t.replace("}  // namespace",
                                         'inline constexpr std::string_view new_need = "/var/run/x";\n}  // namespace'),
    "new capability": lambda t: t.replace('"CAP_SYS_ADMIN"}', '"CAP_SYS_ADMIN", "CAP_NET_ADMIN"}'),
}


def self_test(docs, dockerfile, host_needs, cmake_text, help_text_of):
    failures = 0
    base = check(copy.deepcopy(docs), dockerfile, host_needs, cmake_text, help_text_of)
    if base:
        print("self-test: the real manifest does not pass:\n  " + "\n  ".join(base))
        return 1
    cases = [(n, lambda m=m: (m, None, None)) for n, m in MUTATIONS.items()]
    cases += [(n, lambda m=m: (None, m, None)) for n, m in DOCKERFILE_MUTATIONS.items()]
    cases += [(n, lambda m=m: (None, None, m)) for n, m in HOST_NEEDS_MUTATIONS.items()]
    for name, make in cases:
        md, mf, mh = make()
        d = copy.deepcopy(docs)
        if md:
            md(d)
        f = mf(dockerfile) if mf else dockerfile
        h = mh(host_needs) if mh else host_needs
        if (mf and f == dockerfile) or (mh and h == host_needs):
            print(f"self-test: mutation '{name}' changed nothing (update the test)")
            failures += 1
            continue
        errors = check(d, f, h, cmake_text, help_text_of)
        if errors:
            print(f"ok   caught '{name}': {errors[0]}")
        else:
            print(f"FAIL not caught: '{name}'")
            failures += 1
    print(f"self-test: {len(cases) - failures} of {len(cases)} mutations caught")
    return 1 if failures else 0


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--self-test"):
        print(__doc__, file=sys.stderr)
        return 2
    src, binary = Path(argv[1]), argv[2]
    with open(src / "deploy/daemonset.yaml") as f:
        docs = list(yaml.safe_load_all(f))
    dockerfile = (src / "deploy/Dockerfile").read_text()
    host_needs = (src / "src/host_needs.h").read_text()
    cmake_text = (src / "CMakeLists.txt").read_text()
    help_text_of = HelpCache(binary)
    if len(argv) == 4:
        return self_test(docs, dockerfile, host_needs, cmake_text, help_text_of)
    errors = check(docs, dockerfile, host_needs, cmake_text, help_text_of)
    for e in errors:
        print(f"deploy/daemonset.yaml: {e}")
    if not errors:
        print("deploy/daemonset.yaml and deploy/Dockerfile agree with src/host_needs.h and the binary's flags")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
