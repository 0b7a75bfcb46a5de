#!/usr/bin/env bash
# Installs the Debian packages Tessera builds and tests with. A no-op when all are present;
# runs `apt-get update` only when something must be installed. Needs root (or sudo) then.
set -euo pipefail

packages=(
  # libraries the Swift targets link (Sources/C*/module.modulemap)
  libopenblas-dev liblapacke-dev libzstd-dev libsqlite3-dev libssl-dev
  libcurl4-openssl-dev libpng-dev libjpeg-dev pkg-config
  # tools the tests run as independent peers (python3-venv: the schemathesis contract test)
  openssl curl sqlite3 python3 python3-venv
  # SwiftPM fetches the Swift package dependencies with git over https
  git ca-certificates
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
# passed through sudo, whose env_reset would drop an exported variable
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
