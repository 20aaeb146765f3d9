#!/usr/bin/env bash
# Provisions a real Kubernetes control plane for the cluster tests, the way envtest lays it out:
# one directory holding etcd, kube-apiserver, kube-controller-manager and kube-scheduler.
#
#   hack/provision-control-plane.sh            # build if needed, print the directory
#
# Kubernetes v1.20.2 is built offline from Debian bookworm's `kubernetes` source package with
# Debian's Go, the way debian/rules builds it; etcd 3.4 comes from Debian's etcd-server. The result
# is cached by version under the user's cache directory, so a second run prints the directory at
# once. The last line of stdout is the directory; everything else goes to stderr.
#
# Environment:
#   SANDBOX_CONTROL_PLANE_CACHE  cache root (default ${XDG_CACHE_HOME:-~/.cache}/sandbox-operator/control-plane)
#   KUBEBUILDER_ASSETS           when set and holding all four binaries, it is used as is
#
# Caveats:
# - The vendored github.com/modern-go/reflect2 v1.0.1 crashes kube-apiserver (SIGSEGV in mapiterinit)
#   under Go >= 1.18 on the first custom-resource create; it is replaced by v1.0.2 from Debian's
#   golang-github-modern-go-reflect2-dev, as upstream later did.
# - Needs Debian bookworm's archive (apt sources); elsewhere, point KUBEBUILDER_ASSETS at envtest assets.
# - Concurrent runs (several checkouts on one machine) take turns on a lock; the second finds the build done.
# - About 15 minutes and 1.3 GB of memory on 2 cores, 2.6 GB of disk while building, 280 MB cached.
set -euo pipefail

version=1.20.2
source_package=kubernetes
source_version=1.20.5+really1.20.2-1.1+deb12u1
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler)

say() { printf '%s\n' "$*" >&2; }

has_all() {
  local dir=$1 b
  for b in "${binaries[@]}"; do [ -x "$dir/$b" ] || return 1; done
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && has_all "$KUBEBUILDER_ASSETS"; then
  printf '%s\n' "$KUBEBUILDER_ASSETS"
  exit 0
fi

cache_root=${SANDBOX_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-operator/control-plane}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
target="$cache_root/$version-linux-$arch"

built() { has_all "$target" && [ "$(cat "$target/SOURCE" 2>/dev/null)" = "$source_package $source_version" ]; }

if built; then
  printf '%s\n' "$target"
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.provision.lock"
if ! flock -n 9; then
  say "another provisioning run holds $cache_root/.provision.lock; waiting for it"
  flock 9
fi
if built; then
  printf '%s\n' "$target"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

command -v apt-get >/dev/null || { say "apt-get not found: this builds from Debian bookworm's source package; elsewhere set KUBEBUILDER_ASSETS"; exit 1; }

# A deb-src entry mirroring the binary sources (deb822 or one-line format), so `apt-get source` finds the package.
has_source() { apt-cache showsrc "$source_package" 2>/dev/null | grep -q "^Version: $source_version\$"; }
if ! has_source; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    src_list=/etc/apt/sources.list.d/sandbox-operator-deb-src.sources
    sed -n '/^Types:/,$p' /etc/apt/sources.list.d/debian.sources | sed 's/^Types: deb$/Types: deb-src/' | $sudo tee "$src_list" >/dev/null
  else
    src_list=/etc/apt/sources.list.d/sandbox-operator-deb-src.list
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' | $sudo tee "$src_list" >/dev/null
  fi
  say "added $src_list"
  $sudo apt-get update -qq >&2
  has_source || { say "apt has no source package $source_package $source_version (Debian bookworm only); set KUBEBUILDER_ASSETS to envtest assets instead"; exit 1; }
fi

packages=(dpkg-dev golang-go rsync make etcd-server golang-github-modern-go-reflect2-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

work="$cache_root/build-$version"
rm -rf "$work"
mkdir -p "$work"
say "fetching $source_package $source_version into $work"
(cd "$work" && apt-get source -qq "$source_package=$source_version" >&2 2>&1)
tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "$source_package-*" | head -n 1)
[ -n "$tree" ] || { say "apt-get source produced no source tree in $work"; exit 1; }

reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
say "replacing vendor/github.com/modern-go/reflect2 with $reflect2"
rm -f "$tree"/vendor/github.com/modern-go/reflect2/*.go
cp "$reflect2"/*.go "$tree/vendor/github.com/modern-go/reflect2/"
rm -f "$tree"/vendor/github.com/modern-go/reflect2/*_test.go

say "building kube-apiserver, kube-controller-manager, kube-scheduler (about 15 minutes on 2 cores)"
mkdir -p "$tree/.go/src/k8s.io"
ln -sfn ../../.. "$tree/.go/src/k8s.io/kubernetes"
(
  cd "$tree"
  env GOPATH="$tree/.go" PATH="/usr/lib/go/bin:$PATH" CGO_ENABLED=0 GOPROXY=off GOTOOLCHAIN=local \
    GOFLAGS=-mod=vendor HOME="$work/home" \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >&2
)

staging="$target.new"
rm -rf "$staging"
mkdir -p "$staging"
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  cp "$tree/_output/bin/$b" "$staging/$b"
done
cp "$(command -v etcd || echo /usr/bin/etcd)" "$staging/etcd"
printf '%s %s\n' "$source_package" "$source_version" >"$staging/SOURCE"
rm -rf "$target"
mv "$staging" "$target"
rm -rf "$work"
say "control plane ready in $target"
printf '%s\n' "$target"
