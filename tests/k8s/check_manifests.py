#!/usr/bin/env python3
"""Checks deploy/: the plain manifests are the Helm chart rendered with its
defaults, every document parses, RBAC is read-only on exactly the resources
the collector watches (read from src/k8s/resources.cpp), and the agent has
the host access it needs and no more. Needs python3-yaml."""
import os
import re
import subprocess
import sys

import yaml

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


# 1. Chart and plain manifests agree.
r = subprocess.run([sys.executable, os.path.join(SRC, "deploy", "render.py"), "--check"],
                   capture_output=True, text=True)
check(r.returncode == 0, "render.py --check: " + r.stdout + r.stderr)

# 2. Every document parses and names itself.
docs = []
mdir = os.path.join(SRC, "deploy", "manifests")
for name in sorted(os.listdir(mdir)):
    if name.endswith(".yaml"):
        with open(os.path.join(mdir, name)) as f:
            for d in yaml.safe_load_all(f):
                if d is None:
                    continue
                for k in ("apiVersion", "kind", "metadata"):
                    check(k in d, "%s: document without %s" % (name, k))
                docs.append(d)
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
for kind, name in [("DaemonSet", "loupe-agent"), ("Deployment", "loupe-cluster"),
                   ("StatefulSet", "loupe-server"), ("Service", "loupe-server"),
                   ("ClusterRole", "loupe-cluster"), ("ClusterRoleBinding", "loupe-cluster"),
                   ("Secret", "loupe-token"), ("ServiceAccount", "loupe-agent"),
                   ("ServiceAccount", "loupe-cluster"), ("ServiceAccount", "loupe-server")]:
    check(name in by_kind.get(kind, {}), "missing %s/%s" % (kind, name))
if errors:
    print("\n".join(errors))
    sys.exit(1)

# 3. RBAC: get/list/watch only, on exactly what the code watches.
code = open(os.path.join(SRC, "src", "k8s", "resources.cpp")).read()
used = set()
for res, path in re.findall(r'\{"(\w+)",\s*"(/api/v1|/apis/[\w.]+/v1)"', code):
    used.add(("" if path == "/api/v1" else path.split("/")[2], res))
check(len(used) >= 11, "could not read the resource table from resources.cpp: %s" % used)
granted = set()
for kind in ("ClusterRole", "Role"):
    for name, role in by_kind.get(kind, {}).items():
        for rule in role.get("rules", []):
            check(set(rule.get("verbs", [])) <= {"get", "list", "watch"},
                  "%s/%s grants verbs %s" % (kind, name, rule.get("verbs")))
            check("*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", []),
                  "%s/%s uses a wildcard" % (kind, name))
            for g in rule.get("apiGroups", []):
                for res in rule.get("resources", []):
                    granted.add((g, res))
check(granted == used, "RBAC resources %s differ from the watched set %s (extra %s, missing %s)"
      % (sorted(granted), sorted(used), sorted(granted - used), sorted(used - granted)))
binding = by_kind["ClusterRoleBinding"]["loupe-cluster"]
check(binding["roleRef"]["name"] == "loupe-cluster" and
      binding["subjects"][0]["name"] == "loupe-cluster", "binding does not tie loupe-cluster SA to its role")


def pod_spec(kind, name):
    return by_kind[kind][name]["spec"]["template"]["spec"]


# 4. The agent: host access it needs, nothing more.
agent = pod_spec("DaemonSet", "loupe-agent")
c = agent["containers"][0]
check(agent.get("hostPID") is True, "agent needs hostPID")
check(not agent.get("hostNetwork"), "agent should not need hostNetwork")
sc = c["securityContext"]
check(not sc.get("privileged"), "agent must not be privileged")
caps = set(sc["capabilities"].get("add", []))
check({"BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"} <= caps, "agent capabilities %s" % caps)
check("SYS_ADMIN" not in caps, "SYS_ADMIN only for kernels without CAP_BPF (values override)")
check(sc["capabilities"].get("drop") == ["ALL"], "agent should drop ALL first")
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in agent["volumes"]}
for path, host in [("/sys/kernel/btf", "/sys/kernel/btf"), ("/sys/kernel/tracing", "/sys/kernel/tracing"),
                   ("/sys/fs/cgroup", "/sys/fs/cgroup"), ("/host/proc", "/proc"),
                   ("/var/log/pods", "/var/log/pods")]:
    m = mounts.get(path)
    check(m is not None, "agent lacks mount %s" % path)
    if m:
        check(m.get("readOnly") is True, "agent mount %s must be read-only" % path)
        check(vols[m["name"]].get("hostPath", {}).get("path") == host,
              "agent mount %s is not hostPath %s" % (path, host))
env = {e["name"]: e for e in c.get("env", [])}
check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
      "agent needs NODE_NAME from spec.nodeName")
check(c["args"][:2] == ["agent", "--server"] and "--token-file" in c["args"], "agent args %s" % c["args"])
check(by_kind["ServiceAccount"]["loupe-agent"].get("automountServiceAccountToken") is False,
      "the agent does not call the API: no token")

# 5. Collector and server.
cl = by_kind["Deployment"]["loupe-cluster"]
check(cl["spec"]["replicas"] == 1, "one cluster collector")
cls = pod_spec("Deployment", "loupe-cluster")
check(cls["serviceAccountName"] == "loupe-cluster", "collector runs as loupe-cluster")
check(cls["containers"][0]["args"][:2] == ["cluster", "--server"], "collector args")
srv = by_kind["StatefulSet"]["loupe-server"]
check(srv["spec"].get("volumeClaimTemplates"), "server needs a PVC")
check(by_kind["Service"]["loupe-server"]["spec"]["ports"][0]["port"] == 8080, "server Service on 8080")
for kind, name in [("DaemonSet", "loupe-agent"), ("Deployment", "loupe-cluster"),
                   ("StatefulSet", "loupe-server")]:
    secrets = [v["secret"]["secretName"] for v in pod_spec(kind, name)["volumes"] if "secret" in v]
    check(secrets == ["loupe-token"], "%s/%s does not mount the shared token" % (kind, name))

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("deploy manifests ok: %d documents, RBAC %d resources" % (len(docs), len(granted)))
