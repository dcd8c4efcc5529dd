#!/bin/sh
# The Debian packages adjoint needs: installs them when run as root, otherwise names them and stops.
set -eu
missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
[ -d /usr/share/datasets/fashion-mnist ] || missing="$missing dataset-fashion-mnist"
# The stepper's tests drive Debian's own browser and its matching driver (never a downloaded one).
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
# Debian splits venv/ensurepip out of python3; without it `python3 -m venv` fails half-way.
${PYTHON:-python3} -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "adjoint needs Debian packages that are missing; run: sudo apt-get install$missing" >&2
    exit 1
fi
