#!/usr/bin/env bash
# Puts `pulumi`, `pulumi-language-nodejs` and the dynamic-provider launcher
# `pulumi-resource-pulumi-nodejs` into <project>/.pulumi/bin, in this order of
# preference:
#   1. a `pulumi` already on PATH (its own language host is used too),
#   2. binaries already built for the pinned version (user-level cache, shared
#      by every clone on this machine, CI's included),
#   3. the official installer,
#   4. a build from Pulumi's Go modules pinned in tools/ (needs Go and the Go
#      module proxy; about 8 minutes on 2 cores, once per pin).
# Prints the bin directory on stdout; progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=engine/pin.env
. "$root/engine/pin.env"
bin="$root/.pulumi/bin"
mkdir -p "$bin"
log() { printf 'engine: %s\n' "$*" >&2; }

link_launcher() {
  # The launcher ships in the npm package @pulumi/pulumi; it resolves that package from the working directory,
  # which the engine sets to the project, so one copy serves every clone. With a directory (the engine's own),
  # the copy goes beside the `pulumi` binary there: the engine then sees it as bundled and prints no "using
  # pulumi-resource-pulumi-nodejs from $PATH" warning on every command.
  local launcher="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  [ -f "$launcher" ] || { log "run npm ci first: $launcher is missing"; exit 1; }
  local beside="${1:-}"
  if [ -n "$beside" ]; then
    cmp -s "$launcher" "$beside/pulumi-resource-pulumi-nodejs" || install -m 0755 "$launcher" "$beside/pulumi-resource-pulumi-nodejs"
    ln -sf "$beside/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
  else
    ln -sf "$launcher" "$bin/pulumi-resource-pulumi-nodejs"
  fi
}

# The engine's automatic log (PULUMI_HOME/logs) records every resource's properties at debug level on every
# run: 40% of the engine's CPU in a no-op preview of 30 nodes, and 440 MB in a day of tests. A logs path that
# cannot be a directory turns it off (the engine then logs "automatic logging unavailable" at debug level);
# `--logtostderr -v=N` works as always. Remove the link to have the logs again.
quiet_home() {
  local home="$root/.pulumi/home"
  mkdir -p "$home"
  if [ ! -L "$home/logs" ]; then
    rm -rf "$home/logs"
    ln -s /dev/null "$home/logs"
  fi
}

on_path=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:) command -v pulumi || true)
if [ -n "$on_path" ] && [ -z "${NGCP_FLEET_BUILD_ENGINE:-}" ]; then
  dir=$(dirname "$(readlink -f "$on_path")")
  log "using pulumi from PATH: $on_path"
  ln -sf "$on_path" "$bin/pulumi"
  if [ -x "$dir/pulumi-language-nodejs" ]; then ln -sf "$dir/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"; fi
  link_launcher
  quiet_home
  echo "$bin"
  exit 0
fi

pin_hash=$(cat "$root/engine/pin.env" "$root"/tools/pulumi/go.mod "$root"/tools/pulumi/go.sum \
  "$root"/tools/pulumi-language-nodejs/go.mod "$root"/tools/pulumi-language-nodejs/go.sum | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ngcp-fleet/engine/$PULUMI_CLI_VERSION-$pin_hash"

if [ ! -x "$cache/pulumi" ] || [ ! -x "$cache/pulumi-language-nodejs" ]; then
  mkdir -p "$cache"
  installed=""
  if [ -z "${NGCP_FLEET_SKIP_INSTALLER:-}" ] && command -v curl >/dev/null; then
    log "trying the official installer for ${PULUMI_CLI_VERSION#v}"
    tmp=$(mktemp -d)
    if curl -fsSL --connect-timeout 5 --max-time 120 https://get.pulumi.com/releases/sdk/pulumi-$PULUMI_CLI_VERSION-linux-x64.tar.gz \
      -o "$tmp/pulumi.tgz" 2>/dev/null && tar -xzf "$tmp/pulumi.tgz" -C "$tmp"; then
      cp "$tmp/pulumi/pulumi" "$tmp/pulumi/pulumi-language-nodejs" "$cache/" && installed=yes
    else
      log "official download unreachable; building from the pinned Go modules instead"
    fi
    rm -rf "$tmp"
  fi
  if [ -z "$installed" ]; then
    command -v go >/dev/null || { log "no pulumi on PATH, no download, and no Go toolchain to build one"; exit 1; }
    start=$(date +%s)
    log "building pulumi $PULUMI_CLI_VERSION from tools/pulumi (one time per pin)"
    (cd "$root/tools/pulumi" && go build -trimpath \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
      -o "$cache/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    log "building pulumi-language-nodejs $PULUMI_LANGUAGE_HOST_VERSION from tools/pulumi-language-nodejs"
    (cd "$root/tools/pulumi-language-nodejs" && go build -trimpath \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_HOST_VERSION" \
      -o "$cache/pulumi-language-nodejs.partial" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
    # Renamed only when both built, so an interrupted build never looks finished.
    mv "$cache/pulumi-language-nodejs.partial" "$cache/pulumi-language-nodejs"
    mv "$cache/pulumi.partial" "$cache/pulumi"
    log "engine built in $(($(date +%s) - start)) s"
  fi
fi
ln -sf "$cache/pulumi" "$bin/pulumi"
ln -sf "$cache/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
link_launcher "$cache"
quiet_home
echo "$bin"
