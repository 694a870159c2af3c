package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: $PORTICO_CHROMIUM, then the usual binary names.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PORTICO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found, and CI=true requires the browser tests: install it with `apt-get install -y chromium` or set PORTICO_CHROMIUM")
	}
	t.Skip("skipping browser tests: no Chromium found (install Debian's `chromium` or set PORTICO_CHROMIUM)")
	return ""
}

// newBrowser starts a fresh headless Chromium with its own profile and returns a chromedp
// context bound to one tab, valid for at most timeout.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	bin := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return tab
}

// screenshotDir is where page screenshots go: $PORTICO_SCREENSHOTS, or a test temp folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PORTICO_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return dir
}

// viewports are the widths every page is photographed at.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 900, false},
	{"phone", 375, 812, true},
}

// screenshots saves full-page PNGs of the current page at each viewport as
// <dir>/<step>-<viewport>.png and restores the desktop viewport.
func screenshots(t *testing.T, ctx context.Context, dir, step string) {
	t.Helper()
	for _, vp := range viewports {
		emulate := chromedp.EmulateViewport(vp.width, vp.height)
		if vp.mobile {
			emulate = chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, emulate); err != nil {
			t.Fatalf("viewport %s: %v", vp.name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s at %s: %v", step, vp.name, err)
		}
		name := filepath.Join(dir, strings.ReplaceAll(step, " ", "-")+"-"+vp.name+".png")
		if err := os.WriteFile(name, png, 0o644); err != nil {
			t.Fatalf("save screenshot: %v", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("reset viewport: %v", err)
	}
}
