// Package webtest holds the end-to-end test of Oneshot's JavaScript API:
// it builds the web output (scripts/build-web.sh), serves it, and drives
// oneshot.js in headless Chromium on LFW images (detect, enroll, verify,
// identify, export and import, bad calls). It has no code of its own; see
// webtest_test.go. The build script leaves this folder out of the output.
package webtest
