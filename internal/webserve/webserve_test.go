package webserve

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPageFitsThePolicy checks that the demo page needs nothing the header
// ContentSecurityPolicy refuses: no inline scripts or event handlers, no
// inline styles (elements, attributes, or set as text from a script; a
// script may set a single property, element.style.width = …, which the
// policy allows), and no worker made from a blob. A page change that needs
// more fails here, and the policy must then be relaxed on purpose.
func TestPageFitsThePolicy(t *testing.T) {
	web := filepath.Join("..", "..", "web")
	html, err := os.ReadFile(filepath.Join(web, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, c := range []struct {
		re   string
		what string
	}{
		{`<style[\s>]`, "a <style> element"},
		{`\sstyle\s*=`, "a style attribute"},
		{`\son[a-z]+\s*=`, "an inline event handler"},
		{`<script(?:\s+[^>]*)?>\s*[^<\s]`, "an inline script"},
		{`<script(?:\s[^>]*)?\ssrc\s*=\s*"(?:https?:)?//`, "a script from another origin"},
	} {
		if m := regexp.MustCompile(`(?i)` + c.re).FindString(page); m != "" {
			t.Errorf("web/index.html has %s (%q), which the Content-Security-Policy refuses", c.what, m)
		}
	}
	scripts, err := filepath.Glob(filepath.Join(web, "*.js"))
	if err != nil {
		t.Fatal(err)
	}
	app, _ := filepath.Glob(filepath.Join(web, "app", "*.js"))
	for _, path := range append(scripts, app...) {
		if strings.HasSuffix(path, ".test.js") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			re   string
			what string
		}{
			{`setAttribute\(\s*["']style["']`, "sets a style attribute"},
			{`\.style\.cssText\s*=`, "sets style text"},
			{`\.(?:innerHTML|outerHTML)\s*=|insertAdjacentHTML\(`, "writes markup (which may carry inline styles or scripts)"},
			{`new\s+(?:Shared)?Worker\(\s*URL\.createObjectURL`, "starts a worker from a blob"},
		} {
			if m := regexp.MustCompile(c.re).FindString(string(b)); m != "" {
				t.Errorf("%s %s (%q), which the Content-Security-Policy refuses", path, c.what, m)
			}
		}
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "worker-src 'self' blob:"} {
		if strings.Contains(ContentSecurityPolicy, bad) {
			t.Errorf("the policy allows %s", bad)
		}
	}
}
