// Package browsertest drives the built-in UI in a real headless Chromium (through chromedp)
// the way a person would: register, look at the welcome page, change settings, sign out and
// sign in again. It holds only tests; they are skipped where no Chromium is installed and
// required when CI=true.
package browsertest
