#!/usr/bin/env bash
# Mirrors Istio 1.30.3 into the registries the stacks of project mesh pull from
# (mesh plan --format mirror). Run it where both Istio's hosts and the mirrors are reachable, from the
# project's folder, logged in to each target: helm registry login <host>; crane auth login <host> (or
# docker login). Every step checks the target first and skips what is already there.
set -euo pipefail

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

copy_image() {
  local src="$1" dst="$2"
  if command -v crane >/dev/null 2>&1; then
    if [ "$(crane digest "$dst" 2>/dev/null)" = "$(crane digest "$src")" ]; then echo "present: $dst"; return; fi
    echo "copy $src -> $dst"; crane copy "$src" "$dst"
  elif command -v skopeo >/dev/null 2>&1; then
    if skopeo inspect --raw "docker://$dst" >/dev/null 2>&1; then echo "present: $dst"; return; fi
    echo "copy $src -> $dst"; skopeo copy --all "docker://$src" "docker://$dst"
  else
    echo "install crane (go-containerregistry) or skopeo to copy images" >&2; exit 1
  fi
}

# push_chart <name> <version> <oci://registry/path>
push_chart() {
  local name="$1" version="$2" target="$3"
  if helm show chart "$target/$name" --version "$version" >/dev/null 2>&1; then echo "present: $target/$name:$version"; return; fi
  echo "copy https://istio-release.storage.googleapis.com/charts $name $version -> $target/$name"
  helm pull "$name" --repo 'https://istio-release.storage.googleapis.com/charts' --version "$version" -d "$work"
  helm push "$work/$name-$version.tgz" "$target"
}

# vendor_chart <name> <version> <folder of the project>
vendor_chart() {
  local name="$1" version="$2" dir="$3"
  if [ -e "$dir/$name-$version.tgz" ] || [ -e "$dir/$name/Chart.yaml" ]; then echo "present: $dir/$name"; return; fi
  echo "copy https://istio-release.storage.googleapis.com/charts $name $version -> $dir/$name-$version.tgz"
  mkdir -p "$dir"
  helm pull "$name" --repo 'https://istio-release.storage.googleapis.com/charts' --version "$version" -d "$dir"
}

# cn-shanghai (stack cn-shanghai, region cn-shanghai)
push_chart 'base' '1.30.3' 'oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts'
push_chart 'istiod' '1.30.3' 'oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts'
push_chart 'gateway' '1.30.3' 'oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts'
# the nodes pull mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio/pilot:1.30.3 (the instance's VPC endpoint); push to its public endpoint
copy_image 'docker.io/istio/pilot:1.30.3' 'mesh-registry.cn-shanghai.cr.aliyuncs.com/istio/pilot:1.30.3'
# the nodes pull mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio/proxyv2:1.30.3 (the instance's VPC endpoint); push to its public endpoint
copy_image 'docker.io/istio/proxyv2:1.30.3' 'mesh-registry.cn-shanghai.cr.aliyuncs.com/istio/proxyv2:1.30.3'

# wuxi (stack wuxi, region cn-wuxi)
push_chart 'base' '1.30.3' 'oci://harbor.wuxi.internal/istio-charts'
push_chart 'istiod' '1.30.3' 'oci://harbor.wuxi.internal/istio-charts'
push_chart 'gateway' '1.30.3' 'oci://harbor.wuxi.internal/istio-charts'
copy_image 'docker.io/istio/pilot:1.30.3' 'harbor.wuxi.internal/istio/pilot:1.30.3'
copy_image 'docker.io/istio/proxyv2:1.30.3' 'harbor.wuxi.internal/istio/proxyv2:1.30.3'

echo "mirrored"
