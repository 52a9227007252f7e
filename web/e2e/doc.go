// Package e2e holds the end-to-end test of the Oneshot demo page
// (web/index.html, web/main.js, web/app): it builds the web output
// (scripts/build-web.sh), serves it with cmd/serve, and drives the page in
// headless Chromium whose fake webcam plays Y4M videos the test writes from
// LFW images. It enrolls, verifies, identifies, fine-tunes and reloads,
// checks the camera-refused message, records every network request, and
// saves a screenshot of each step to a folder it prints. It has no code of
// its own; see e2e_test.go. The build script leaves this folder out of the
// output.
package e2e
