// Package e2e drives the visitor's pages in headless Chromium against a
// whole slotgate instance on the embedded defaults: book, read the QR
// code, be refused, cancel, switch language, and do it all without
// JavaScript. The tests take screenshots at phone and desktop widths into
// $SLOTGATE_SCREENSHOTS (relative to the repository root) when it is set.
//
// Chromium comes from the system (Debian's chromium package); the tests
// never download a browser. Without one they skip, unless
// SLOTGATE_TEST_REQUIRE=1, when they fail.
package e2e
