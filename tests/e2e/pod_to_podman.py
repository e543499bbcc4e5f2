#!/usr/bin/env python3
"""Prints the `podman run` arguments (one per line) that run a workload's
first container the way the chart's rendered manifest runs it in a pod:
its user, capabilities, host PID namespace, read-only root, no privilege
escalation, seccomp, memory and CPU limits, host mounts, Secret and volume
claim mounts, environment, and args. Anything in the security context this
does not know how to express is an error, so the test cannot silently run
something laxer than the chart.

  pod_to_podman.py MANIFEST KIND [--map NAME=DIR]... [--env NAME=VALUE]...
                   [--seccomp RUNTIME_DEFAULT_JSON]

--map gives the local directory standing in for a Secret, a volume claim
or a hostPath volume by volume name (a hostPath without --map mounts the
host's own path). --env gives fieldRef variables their value. --seccomp
is the profile standing for the Kubernetes runtime's RuntimeDefault
(default: podman's own). Needs python3-yaml.
"""
import sys

import yaml

KNOWN_SECURITY = {"privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                  "allowPrivilegeEscalation", "seccompProfile", "capabilities"}


def quantity_bytes(q):
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for suffix, mult in units.items():
        if str(q).endswith(suffix):
            return int(float(str(q)[:-2]) * mult)
    return int(q)


def cpus(q):
    q = str(q)
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def main(argv):
    manifest, kind = argv[0], argv[1]
    maps, env_values, seccomp_file = {}, {}, None
    rest = argv[2:]
    for flag, value in zip(rest[::2], rest[1::2]):
        if flag == "--seccomp":
            seccomp_file = value
            continue
        target = maps if flag == "--map" else env_values if flag == "--env" else None
        if target is None:
            sys.exit("unknown flag %s" % flag)
        key, _, val = value.partition("=")
        target[key] = val
    with open(manifest) as f:
        doc = next(d for d in yaml.safe_load_all(f) if d and d["kind"] == kind)
    spec = doc["spec"]["template"]["spec"]
    c = spec["containers"][0]
    sc = c.get("securityContext", {})
    unknown = set(sc) - KNOWN_SECURITY
    if unknown:
        sys.exit("security context fields this cannot express: %s" % sorted(unknown))
    if sc.get("privileged"):
        sys.exit("the chart runs %s privileged" % kind)
    out = []
    if spec.get("hostPID"):
        out.append("--pid=host")
    if spec.get("hostNetwork"):
        out.append("--network=host")
    user = sc.get("runAsUser")
    if user is not None:
        out.append("--user=%s" % user if sc.get("runAsGroup") is None else "--user=%s:%s" % (user, sc["runAsGroup"]))
    fs_group = spec.get("securityContext", {}).get("fsGroup")
    if fs_group is not None:
        out.append("--group-add=%s" % fs_group)
    caps = sc.get("capabilities", {})
    for cap in caps.get("drop", []):
        out.append("--cap-drop=%s" % cap)
    for cap in caps.get("add", []):
        out.append("--cap-add=%s" % cap)
    if sc.get("readOnlyRootFilesystem"):
        out.append("--read-only")
    if sc.get("allowPrivilegeEscalation") is False:
        out.append("--security-opt=no-new-privileges")
    seccomp = sc.get("seccompProfile", {}).get("type", "RuntimeDefault")
    if seccomp != "RuntimeDefault":
        sys.exit("seccomp profile %s" % seccomp)
    if seccomp_file:
        out.append("--security-opt=seccomp=%s" % seccomp_file)
    limits = c.get("resources", {}).get("limits", {})
    if "memory" in limits:
        out.append("--memory=%d" % quantity_bytes(limits["memory"]))
    if "cpu" in limits:
        out.append("--cpus=%g" % cpus(limits["cpu"]))
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    claims = {t["metadata"]["name"] for t in doc["spec"].get("volumeClaimTemplates", [])}
    for m in c.get("volumeMounts", []):
        name, v = m["name"], volumes.get(m["name"], {})
        if name in maps:
            src = maps[name]
        elif "hostPath" in v:
            src = v["hostPath"]["path"]
        elif name in claims or "secret" in v:
            sys.exit("volume %s needs --map %s=DIR" % (name, name))
        else:
            sys.exit("volume %s: unsupported source %s" % (name, v))
        out.append("--volume=%s:%s%s" % (src, m["mountPath"], ":ro" if m.get("readOnly") else ""))
    for e in c.get("env", []):
        if "value" in e:
            out.append("--env=%s=%s" % (e["name"], e["value"]))
        elif e["name"] in env_values:
            out.append("--env=%s=%s" % (e["name"], env_values[e["name"]]))
        else:
            sys.exit("env %s needs --env %s=VALUE" % (e["name"], e["name"]))
    print("\n".join(out))
    print("\n".join(["@IMAGE@"] + [str(a) for a in c.get("args", [])]))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1:])
