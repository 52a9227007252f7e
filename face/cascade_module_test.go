//go:build !js && !wasip1

package face

import (
	"os"
	"path/filepath"
	"testing"
)

// moduleCascadeBytes reads the two cascade files from the pigo module.
func moduleCascadeBytes(tb testing.TB) (ff, pl []byte) {
	tb.Helper()
	dir, err := CascadeDir()
	if err != nil {
		tb.Skipf("pigo cascades unavailable: %v", err)
	}
	ff, err = os.ReadFile(filepath.Join(dir, "facefinder"))
	if err != nil {
		tb.Fatal(err)
	}
	pl, err = os.ReadFile(filepath.Join(dir, "puploc"))
	if err != nil {
		tb.Fatal(err)
	}
	return ff, pl
}

// testCascades returns the pigo module's cascades, parsed once.
func testCascades(tb testing.TB) *Cascades {
	tb.Helper()
	c, err := LoadCascadesFromModule()
	if err != nil {
		tb.Skipf("pigo cascades unavailable: %v", err)
	}
	return c
}

func TestCascadeDir(t *testing.T) {
	dir, err := CascadeDir()
	if err != nil {
		t.Skip(err)
	}
	if !hasCascades(dir) {
		t.Fatalf("CascadeDir = %s, without the files", dir)
	}
	t.Setenv(EnvCascadeDir, t.TempDir())
	if got, _ := CascadeDir(); got == dir {
		t.Errorf("CascadeDir ignored $%s", EnvCascadeDir)
	}
	if _, err := LoadCascades(t.TempDir()); err == nil {
		t.Error("LoadCascades of an empty folder succeeded")
	}
	if got := escapeModulePath("github.com/BurntSushi/toml"); got != "github.com/!burnt!sushi/toml" {
		t.Errorf("escapeModulePath = %q", got)
	}
}
