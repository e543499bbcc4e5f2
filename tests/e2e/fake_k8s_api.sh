# The fake Kubernetes API server (tests/k8s/fake_apiserver.py) for
# end-to-end tests, and a kubeconfig for it. Sourced; needs $WORK, $PIDS
# and $LOUPE_SRC (lib.sh sets them).

# start_fake_apiserver FIXTURES: the fake API server over HTTPS, and a
# kubeconfig for it in $WORK/kubeconfig. Sets FAKE_API (its URL).
start_fake_apiserver() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" > /dev/null 2>&1
  python3 "$LOUPE_SRC/tests/k8s/fake_apiserver.py" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
    --token k8s-token --fixtures "$1" --port-file "$WORK/api.port" &
  PIDS+=($!)
  local i
  for i in $(seq 100); do [[ -s $WORK/api.port ]] && break; sleep 0.1; done
  FAKE_API="https://127.0.0.1:$(cat "$WORK/api.port")"
  echo k8s-token > "$WORK/k8s.token"
  cat > "$WORK/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: $FAKE_API
    certificate-authority-data: $(base64 -w0 < "$WORK/cert.pem")
contexts:
- name: fake
  context:
    cluster: fake
    user: loupe
current-context: fake
users:
- name: loupe
  user:
    tokenFile: $WORK/k8s.token
KC
  unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT LOUPE_TOKEN
}

# api_apply RESOURCE TYPE OBJECT_JSON: a watch event on the fake API server.
api_apply() {
  curl -sf --cacert "$WORK/cert.pem" -X POST "$FAKE_API/_test/apply" \
    -d "{\"resource\": \"$1\", \"type\": \"$2\", \"object\": $3}" > /dev/null
}
