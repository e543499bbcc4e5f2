#!/usr/bin/env bash
# `loupe --version` names the commit it was built from; `loupe completion`
# completes subcommands, flags and flag values in bash (and zsh if present);
# `loupe config print` shows the effective configuration, secrets masked.
source "$(dirname "$0")/lib.sh"

version=$("$LOUPE" --version)
log "$version"
commit=$(git -C "$LOUPE_SRC" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[[ $version =~ ^loupe\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]+|unknown),\ built\ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]] \
  && pass "--version: version, commit and build date" || fail "--version printed: $version"
# The commit is fixed when cmake configures; it is one of this tree's commits.
built=$(sed -E 's/.*commit ([0-9a-f]+|unknown).*/\1/' <<<"$version")
if [[ $built == unknown ]] || git -C "$LOUPE_SRC" cat-file -e "$built^{commit}" 2>/dev/null; then
  pass "commit $built (HEAD $commit) is in this repository"
else
  fail "commit $built is not in $LOUPE_SRC"
fi

# complete WORDS...: what bash offers for the last word.
complete_bash() {
  bash -c 'source <("$0" completion bash); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _loupe; echo "${COMPREPLY[*]}"' "$LOUPE" "$@"
}
assert_eq "loupe ru<TAB>" "run" "$(complete_bash loupe ru)"
assert_eq "loupe agent --spool-m<TAB>" "--spool-max" "$(complete_bash loupe agent --spool-m)"
assert_eq "loupe trace --redact <TAB>" "default off strict" "$(complete_bash loupe trace --redact '')"
# The registry's names, as --help lists the values --protocol takes: the
# completion and the error for an unknown name must offer the same ones.
protocols=$("$LOUPE" trace --help | sed -n 's/.*--protocol TEXT:{\([a-z0-9_,]*\)}.*/\1/p')
[[ "$protocols" == *,http1,* || "$protocols" == http1,* ]] && pass "trace --help lists the protocols" ||
  fail "trace --help lists no protocols: '$protocols'"
assert_eq "loupe trace --protocol <TAB> (the registry's names)" \
  "${protocols//,/ }" "$(complete_bash loupe trace --protocol '')"
assert_eq "loupe query wo<TAB>" "workloads" "$(complete_bash loupe query wo)"
assert_eq "loupe completion z<TAB>" "zsh" "$(complete_bash loupe completion z)"
mkdir -p "$WORK/certs" && touch "$WORK/certs/server.pem"
assert_eq "loupe run --tls-cert <file TAB>" "$WORK/certs/server.pem" "$(complete_bash loupe run --tls-cert "$WORK/certs/ser")"

if command -v zsh >/dev/null; then
  # zsh loads the script through bashcompinit; the same function answers.
  # Called as zsh's bash layer calls it: sh emulation (arrays from 0).
  got=$(zsh -c 'source <("$0" completion zsh); emulate sh; COMP_WORDS=(loupe clu); COMP_CWORD=1; _loupe; echo "${COMPREPLY[*]}"' "$LOUPE")
  assert_eq "zsh: loupe clu<TAB>" "cluster" "$got"
else
  echo "skip: zsh not installed (apt-get install zsh)"
fi
"$LOUPE" completion fish >/dev/null 2>&1 && fail "completion fish accepted" || pass "completion fish refused"

# config print: file, environment and defaults, each with its source.
cat >"$WORK/loupe.yaml" <<'YAML'
agent:
  server: https://loupe:hunter2@loupe-server:8443
  spool-max: 1G
  queue-max: 32M
YAML
out=$(LOUPE_QUEUE_MAX=16M LOUPE_TOKEN=s3cret-token "$LOUPE" config print agent --config "$WORK/loupe.yaml")
echo "$out" | head -6
grep -q "^  spool-max: 1G  # $WORK/loupe.yaml$" <<<"$out" && pass "file value shown with its file" || fail "spool-max from the file"
grep -q "^  queue-max: 16M  # environment LOUPE_QUEUE_MAX$" <<<"$out" && pass "environment beats the file" || fail "queue-max from LOUPE_QUEUE_MAX"
grep -q "^  spool-dir: /var/lib/loupe/agent-spool  # default$" <<<"$out" && pass "defaults shown" || fail "spool-dir default"
grep -q "hunter2\|s3cret-token" <<<"$out" && fail "a secret was printed" || pass "password in the URL and LOUPE_TOKEN masked"
grep -q "loupe:\*\*\*\*\*\*\*\*@loupe-server" <<<"$out" && pass "URL kept, password masked" || fail "URL masking"
json=$(LOUPE_TOKEN=s3cret-token "$LOUPE" --config "$WORK/loupe.yaml" config print agent -o json)
assert_eq "json: token source" "environment LOUPE_TOKEN" "$(jq -r '.options["token-file"].source' <<<"$json")"
assert_eq "json: config_file" "$WORK/loupe.yaml" "$(jq -r .config_file <<<"$json")"
# A typo in the file stops the command with the file and line.
printf 'server:\n  retention: 7d\n  retnetion: 8d\n' >"$WORK/typo.yaml"
rc=0; err=$("$LOUPE" server --config "$WORK/typo.yaml" 2>&1) || rc=$?
assert_eq "typo in the config file: exit code" 2 "$rc"
grep -q "$WORK/typo.yaml:3: server: unknown option 'retnetion'" <<<"$err" && pass "error names file and line" || fail "error was: $err"
# A protocol no parser reports is refused, not silently matched by nothing.
rc=0; err=$("$LOUPE" trace --protocol smtp 2>&1) || rc=$?
assert_eq "trace --protocol smtp: exit code" 2 "$rc"
grep -qF "smtp not in {$protocols}" <<<"$err" && pass "error lists the protocols" || fail "error was: $err"
# A memory queue smaller than four batches would drop each batch as it closes.
rc=0; err=$("$LOUPE" agent --server http://127.0.0.1:9 --queue-max 4M 2>&1) || rc=$?
assert_eq "agent --queue-max 4M: exit code" 2 "$rc"
grep -qF "at least 16M" <<<"$err" && pass "error gives the least queue" || fail "error was: $err"
finish
