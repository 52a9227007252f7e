#!/usr/bin/env bash
# fetch-faceapi.sh: fetch the teacher network's weights (face-api.js's port of
# dlib's ResNet face recogniser) from npm into third_party/ (git-ignored, never
# committed). Idempotent: does nothing when the pinned version is already there.
#
#   scripts/fetch-faceapi.sh            # from anywhere inside the repository
#   ONESHOT_FACEAPI=path/to/model ...   # tools and tests then look there instead
set -euo pipefail

VERSION=1.7.15
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/third_party"
pkg="$dest/node_modules/@vladmandic/face-api"

if [[ -f "$pkg/package.json" && -f "$pkg/model/face_recognition_model-weights_manifest.json" ]] &&
	grep -q "\"version\": \"$VERSION\"" "$pkg/package.json"; then
	echo "fetch-faceapi: @vladmandic/face-api@$VERSION already in $pkg"
	exit 0
fi

command -v npm >/dev/null || {
	echo "fetch-faceapi: npm not found; install Node.js (apt-get install npm)" >&2
	exit 1
}
mkdir -p "$dest"
cd "$dest"
npm install --no-save --no-audit --no-fund --prefix . "@vladmandic/face-api@$VERSION"
test -f "$pkg/model/face_recognition_model-weights_manifest.json" || {
	echo "fetch-faceapi: npm finished but $pkg/model has no face recognition manifest" >&2
	exit 1
}
echo "fetch-faceapi: @vladmandic/face-api@$VERSION installed in $pkg"
