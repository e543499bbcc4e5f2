#!/usr/bin/env python3
"""Checks deploy/: the plain manifests are the Helm chart rendered with its
defaults, every document parses, RBAC is read-only on exactly the resources
the collector watches (read from src/k8s/resources.cpp), the agent has the
host access it needs and no more (each capability documented), the server
and collector run as non-root with read-only root filesystems, seccomp
RuntimeDefault and resource limits, the token Secret is random on install
and kept on upgrade, a NetworkPolicy admits only the agent and the
collector, TLS (tls.enabled) wires --ca-file, and values.schema.json refuses
wrong values by name. Needs python3-yaml and python3-jsonschema."""
import os
import re
import subprocess
import sys
import tempfile

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
                   ("NetworkPolicy", "loupe-server"), ("ServiceAccount", "loupe-agent"),
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
k8s_doc = open(os.path.join(SRC, "docs", "kubernetes.md")).read()
for cap in caps:
    check("`CAP_%s`" % cap in k8s_doc, "agent capability %s is not explained in docs/kubernetes.md" % cap)
check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "agent seccomp RuntimeDefault")
res = c.get("resources", {})
check(res.get("limits", {}).get("memory") == "512Mi" and res.get("requests", {}).get("memory"),
      "agent memory request and 512Mi limit: %s" % res)
args = c["args"]
spool = args[args.index("--spool-dir") + 1] if "--spool-dir" in args else None
m = mounts.get(spool)
check(m is not None and not m.get("readOnly") and
      vols[m["name"]].get("hostPath", {}).get("type") == "DirectoryOrCreate",
      "agent --spool-dir %s must be a writable hostPath mount (survives pod restarts)" % spool)
check("--spool-max" in args and "--queue-max" in args, "agent spool and queue bounds in args")
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

# 6. Least privilege for the server and the collector.
for kind, name in [("Deployment", "loupe-cluster"), ("StatefulSet", "loupe-server")]:
    c = pod_spec(kind, name)["containers"][0]
    sc = c.get("securityContext", {})
    what = "%s/%s" % (kind, name)
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) != 0, what + " must run as non-root")
    check(sc.get("readOnlyRootFilesystem") is True, what + " needs a read-only root filesystem")
    check(sc.get("allowPrivilegeEscalation") is False, what + " must not escalate privileges")
    check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", what + " seccomp RuntimeDefault")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc["capabilities"].get("add"),
          what + " drops ALL capabilities and adds none")
    for kind_ in ("requests", "limits"):
        got = c.get("resources", {}).get(kind_, {})
        check("cpu" in got and "memory" in got, "%s needs cpu and memory %s" % (what, kind_))
check(pod_spec("StatefulSet", "loupe-server").get("securityContext", {}).get("fsGroup") == 65534,
      "server fsGroup makes the data volume writable to the non-root user")

# 7. The token: random on install, kept on upgrade, never a default.
tmpl = open(os.path.join(SRC, "deploy", "helm", "loupe", "templates", "secret.yaml")).read()
check(tmpl.startswith("{{/* helm-only:"), "secret.yaml is Helm-only (render.py skips it)")
check('lookup "v1" "Secret" .Release.Namespace "loupe-token"' in tmpl, "secret.yaml keeps the token on upgrade (lookup)")
check("randAlphaNum 48" in tmpl, "secret.yaml generates a random token on install")
values = yaml.safe_load(open(os.path.join(SRC, "deploy", "helm", "loupe", "values.yaml")))
check(values.get("token") == "", "values.yaml must not ship a token (got %r)" % values.get("token"))

# 8. NetworkPolicy: the server's port only from the agent and the collector.
np = by_kind["NetworkPolicy"]["loupe-server"]["spec"]
check(np["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "server", "policy selects the server")
check(np.get("policyTypes") == ["Ingress"], "policy restricts ingress")
peers = [p for rule in np.get("ingress", []) for p in rule.get("from", [])]
components = sorted(p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component", "?")
                    for p in peers)
check(components == ["agent", "cluster"], "server ingress admits %s, expected the agent and the collector" % components)
check(all("from" in rule for rule in np.get("ingress", [])), "an ingress rule without `from` admits everyone")

# 9. tls.enabled: https, --ca-file for agent and collector, cert and key for the server.
with tempfile.TemporaryDirectory() as out:
    r = subprocess.run([sys.executable, os.path.join(SRC, "deploy", "render.py"), "--set", "tls.enabled=true",
                        "--out", out], capture_output=True, text=True)
    check(r.returncode == 0, "render.py --set tls.enabled=true: " + r.stdout + r.stderr)
    tls = {}
    for name in os.listdir(out):
        for d in yaml.safe_load_all(open(os.path.join(out, name))):
            if d:
                tls[(d["kind"], d["metadata"]["name"])] = d
    for kind, name in [("DaemonSet", "loupe-agent"), ("Deployment", "loupe-cluster")]:
        spec = tls[(kind, name)]["spec"]["template"]["spec"]
        a = spec["containers"][0]["args"]
        check(a[2].startswith("https://") and a[a.index("--ca-file") + 1] == "/etc/loupe-ca/ca.crt",
              "%s with TLS: args %s" % (name, a))
        mounted = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        vol = {v["name"]: v for v in spec["volumes"]}.get(mounted.get("/etc/loupe-ca"), {})
        check(vol.get("secret", {}).get("secretName") == "loupe-tls", "%s mounts the CA from loupe-tls" % name)
    spec = tls[("StatefulSet", "loupe-server")]["spec"]["template"]["spec"]
    a = spec["containers"][0]["args"]
    check(a[a.index("--tls-cert") + 1] == "/etc/loupe-tls/tls.crt" and
          a[a.index("--tls-key") + 1] == "/etc/loupe-tls/tls.key", "server with TLS: args %s" % a)

# 10. serviceMonitor.enabled: a ServiceMonitor on the server's Service port,
# /metrics, with the token (and the CA with TLS); none by default.
check(not any(d["kind"] == "ServiceMonitor" for d in docs), "no ServiceMonitor by default")
for tls_on in ("false", "true"):
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([sys.executable, os.path.join(SRC, "deploy", "render.py"), "--set",
                            "serviceMonitor.enabled=true", "--set", "tls.enabled=" + tls_on, "--out", out],
                           capture_output=True, text=True)
        check(r.returncode == 0, "render.py --set serviceMonitor.enabled=true: " + r.stdout + r.stderr)
        rendered = [d for name in os.listdir(out) for d in yaml.safe_load_all(open(os.path.join(out, name))) if d]
        sms = [d for d in rendered if d["kind"] == "ServiceMonitor"]
        check(len(sms) == 1, "one ServiceMonitor when enabled (tls %s)" % tls_on)
        if sms:
            svc = [d for d in rendered if d["kind"] == "Service" and d["metadata"]["name"] == "loupe-server"][0]
            sm = sms[0]["spec"]
            check(sm["selector"]["matchLabels"] == svc["spec"]["selector"], "ServiceMonitor selects the server Service")
            ep = sm["endpoints"][0]
            check(ep["port"] in [p["name"] for p in svc["spec"]["ports"]] and ep["path"] == "/metrics",
                  "ServiceMonitor scrapes the Service's port at /metrics")
            check(ep["authorization"]["credentials"] == {"name": "loupe-token", "key": "token"},
                  "ServiceMonitor sends the token from the loupe-token Secret")
            check((ep.get("scheme") == "https") == (tls_on == "true"), "ServiceMonitor scheme follows tls.enabled")

# 11. External stores and replicas: the URLs become --store/--state with the
# password Secrets mounted as password_file, --migrate once; by default the
# embedded store (no --store, --state or --migrate) and one replica.
def rendered_server(*sets):
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, os.path.join(SRC, "deploy", "render.py"), "--out", out]
        for s in sets:
            argv += ["--set", s]
        r = subprocess.run(argv, capture_output=True, text=True)
        check(r.returncode == 0, "render.py %s: %s" % (" ".join(sets), r.stderr))
        if r.returncode != 0:
            return None
        for d in yaml.safe_load_all(open(os.path.join(out, "server.yaml"))):
            if d and d["kind"] == "StatefulSet":
                return d


sts = rendered_server()
a = sts["spec"]["template"]["spec"]["containers"][0]["args"]
check(sts["spec"]["replicas"] == 1 and not {"--store", "--state", "--migrate"} & set(a),
      "default server: one replica on the embedded store, args %s" % a)
CH_URL = "clickhouse://ch.db:8123/loupe?user=loupe&cluster=c1"
PG_URL = "postgres://pg.db:5432/loupe?user=loupe&sslmode=require"
sts = rendered_server("server.replicas=3", "server.clickhouse.url=" + CH_URL, "server.clickhouse.passwordSecret=ch-pw",
                      "server.postgres.url=" + PG_URL, "server.postgres.passwordSecret=pg-pw")
if sts:
    spec = sts["spec"]["template"]["spec"]
    a = spec["containers"][0]["args"]
    check(sts["spec"]["replicas"] == 3, "server.replicas=3 gives 3 replicas")
    check(a[a.index("--store") + 1] == CH_URL + "&password_file=/etc/loupe-clickhouse/password" and
          a[a.index("--state") + 1] == PG_URL + "&password_file=/etc/loupe-postgres/password" and
          a.count("--migrate") == 1, "external stores: args %s" % a)
    mounted = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    vols = {v["name"]: v for v in spec["volumes"]}
    for path, secret in [("/etc/loupe-clickhouse", "ch-pw"), ("/etc/loupe-postgres", "pg-pw")]:
        vol = vols.get(mounted.get(path), {}).get("secret", {})
        check(vol.get("secretName") == secret and vol.get("items") == [{"key": "password", "path": "password"}],
              "%s holds the key password of Secret %s: %s" % (path, secret, vol))
sts = rendered_server("server.postgres.url=" + PG_URL)
if sts:
    a = sts["spec"]["template"]["spec"]["containers"][0]["args"]
    check(a[a.index("--state") + 1] == PG_URL and a.count("--migrate") == 1 and "--store" not in a,
          "PostgreSQL state alone, without a password Secret: args %s" % a)

# 12. values.schema.json: a wrong value fails at install (Helm checks the
# schema; render.py checks the same), naming the value; right ones pass.
import json  # noqa: E402

import jsonschema  # noqa: E402

schema = json.load(open(os.path.join(SRC, "deploy", "helm", "loupe", "values.schema.json")))
jsonschema.Draft7Validator.check_schema(schema)
values = yaml.safe_load(open(os.path.join(SRC, "deploy", "helm", "loupe", "values.yaml")))
check(not list(jsonschema.Draft7Validator(schema).iter_errors(values)), "the default values fail the schema")


def render_with(*sets):
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, os.path.join(SRC, "deploy", "render.py"), "--out", out]
        for s in sets:
            argv += ["--set", s]
        return subprocess.run(argv, capture_output=True, text=True)


for bad, named in [("server.port=http", "server.port"), ("server.port=70000", "server.port"),
                   ("serverr.port=8080", "'serverr' was unexpected"),
                   ("server.retention=1 week", "server.retention"),
                   ("tls.enabled='true'", "tls.enabled"),
                   ("image.pullPolicy=Sometimes", "image.pullPolicy"),
                   ("image.repository=ghcr.io/loupe-dev/loupe:0.1.0", "image.repository"),
                   ("agent.capabilities=[CAP_BPF]", "agent.capabilities.0"),
                   ("agent.spoolMax=lots", "agent.spoolMax"),
                   ("agent.memoryLimit=512MB", "agent.memoryLimit"),
                   ("server.resources.limits.cpu=-1", "server.resources.limits.cpu"),
                   ("networkPolicy.apiFrom=[{namespace: ingress}]", "networkPolicy.apiFrom.0"),
                   ("server.replicas=2", "server.clickhouse.url"),
                   ("server.replicas=0", "server.replicas"),
                   ("server.clickhouse.url=clickhouse://ch:8123/loupe", "server.clickhouse.url"),
                   ("server.clickhouse.url=clickhouse://ch:8123/loupe?user=a&password=x", "server.clickhouse.url"),
                   ("server.postgres.url=mysql://db/loupe?user=a", "server.postgres.url"),
                   ("server.postgres.passwordSecret=Bad_Name", "server.postgres.passwordSecret")]:
    r = render_with(bad)
    check(r.returncode != 0 and named in r.stderr,
          "--set %s: expected a schema error naming %s, got rc %d: %s" % (bad, named, r.returncode, r.stderr))
r = render_with("image.repository=registry.example.com:5000/obs/loupe", "image.tag=0.2",
                "agent.capabilities=[BPF, PERFMON, SYS_RESOURCE, SYS_PTRACE, SYS_ADMIN]",
                "agent.cpuLimit=1.5", "server.storage=100Gi",
                "networkPolicy.apiFrom=[{namespaceSelector: {matchLabels: {team: ingress}}}]")
check(r.returncode == 0, "valid overrides refused: " + r.stderr)

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("deploy manifests ok: %d documents, RBAC %d resources" % (len(docs), len(granted)))
