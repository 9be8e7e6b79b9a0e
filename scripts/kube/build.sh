#!/usr/bin/env bash
# Builds kube-apiserver (and kube-controller-manager, for owner-reference garbage collection)
# and etcd from Go modules into ~/.cache/clawfleet/kube/<version>/bin, once per version.
# No package manager ships kube-apiserver, and `go install k8s.io/kubernetes/cmd/...` fails on
# the replace directives of k8s.io/kubernetes' go.mod, so we build through a wrapper module that
# pins every staging module (listed at v0.0.0 upstream) to its published v0.<minor>.<patch>.
set -euo pipefail
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
CACHE="${CLAWFLEET_KUBE_CACHE:-$HOME/.cache/clawfleet/kube}"
OUT="$CACHE/$KUBE_VERSION-etcd$ETCD_VERSION/bin"
BINARIES="${KUBE_BINARIES:-kube-apiserver kube-controller-manager}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
NICE=(nice -n 10)
mkdir -p "$OUT"
log() { echo "[kube-build $(date +%T)] $*" >&2; }

build_etcd() {
  [ -x "$OUT/etcd" ] && return
  local work; work=$(mktemp -d)
  log "etcd $ETCD_VERSION"
  cat >"$work/go.mod" <<MOD
module clawfleet.local/etcdbuild

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' >"$work/tools.go"
  (cd "$work" && "$GO" mod tidy >/dev/null 2>&1 || true
   "${NICE[@]}" "$GO" build -pgo=off -trimpath -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$OUT/etcd.tmp" "$OUT/etcd"; rm -rf "$work"
}

build_kube() {
  local missing=()
  for b in $BINARIES; do [ -x "$OUT/$b" ] || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] && return
  local work minor staging; work=$(mktemp -d)
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  staging="v0.${KUBE_VERSION#v1.}"
  log "kubernetes $KUBE_VERSION: ${missing[*]} (staging modules at $staging)"
  local upstream="${GOPROXY%%,*}/k8s.io/kubernetes/@v/$KUBE_VERSION.mod"
  {
    printf 'module clawfleet.local/kubebuild\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\n' "$KUBE_VERSION"
    curl -fsSL "$upstream" | grep -E '^\s+k8s.io/\S+ v0\.0\.0$' | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$work/go.mod"
  local imports=""
  for b in "${missing[@]}"; do imports+="import _ \"k8s.io/kubernetes/cmd/$b/app\"\n"; done
  printf "package tools\n\n$imports" >"$work/tools.go"
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$work" && "$GO" mod tidy >&2
   for b in "${missing[@]}"; do
     log "go build $b"
     "${NICE[@]}" "$GO" build -pgo=off -trimpath -ldflags "$ld" -o "$OUT/$b.tmp" "k8s.io/kubernetes/cmd/$b"
     mv "$OUT/$b.tmp" "$OUT/$b"
   done)
  rm -rf "$work"
}

t0=$(date +%s)
build_etcd
build_kube
log "done in $(( $(date +%s) - t0 )) s: $OUT"
echo "$OUT"
