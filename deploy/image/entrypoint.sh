#!/bin/sh
# The image's command: the portal's API (server/main.ts) on the project this image holds, with the arguments
# given (none: the Pulumi CLI engine; --help lists the options). Settings come from the environment
# (docs/portal-api.md, docs/deploy.md).
set -eu
cd "$(dirname "$0")/../.."
# The Pulumi CLI writes workspace files, logs and credentials under PULUMI_HOME, so it lives on a writable
# volume, and loads provider plugins from PULUMI_HOME/plugins: link the image's own, installed read-only
# under MESH_PULUMI_ROOT, so that nothing is downloaded at run time. A plugins folder of its own is kept.
if [ -n "${PULUMI_HOME:-}" ] && [ -n "${MESH_PULUMI_ROOT:-}" ] && [ -d "$MESH_PULUMI_ROOT/plugins" ]; then
  mkdir -p "$PULUMI_HOME"
  if [ ! -e "$PULUMI_HOME/plugins" ] || [ -L "$PULUMI_HOME/plugins" ]; then
    ln -sfn "$MESH_PULUMI_ROOT/plugins" "$PULUMI_HOME/plugins"
  fi
fi
exec node --import tsx server/main.ts "$@"
