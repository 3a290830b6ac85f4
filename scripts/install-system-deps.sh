#!/usr/bin/env bash
# System packages the test suite needs and pip cannot provide: a JRE for Spark and headless
# Chromium for rendering the HTML report, poppler-utils to read its PDF in tests. Installed only
# when missing (needs root / apt).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # tests read the report PDF
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: missing system packages ${need[*]} (install them to run every test)" >&2
  exit 0
fi
echo "installing system packages: ${need[*]}" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
