//go:build !js && !wasip1

package face

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"unicode"

	// The cascade files live in the pigo module. Linking its core package
	// (small, and otherwise unused here) records pigo's version in this
	// binary's build information, which CascadeDir reads to find the
	// files in the module cache, and keeps pigo in go.mod.
	_ "github.com/esimov/pigo/core"
)

// PigoModule is the module whose cascade/ folder holds the cascade files.
const PigoModule = "github.com/esimov/pigo"

// EnvCascadeDir names an environment variable that, when set, points
// LoadCascadesFromModule at a folder holding facefinder and puploc, for
// machines without the Go module cache (a deployed binary).
const EnvCascadeDir = "ONESHOT_CASCADES"

var (
	moduleOnce     sync.Once
	moduleCascades *Cascades
	moduleErr      error
)

// LoadCascadesFromModule finds, reads and parses pigo's cascade/facefinder
// and cascade/puploc, and the landmark cascades cascade/lps/lp93 and lp84
// (so that its Detectors can align five-point templates), from the pigo
// module on this machine, once per process; later calls return the same
// shared *Cascades. It is for native
// programs and tests (it is not built for GOOS=js, where the page fetches
// the files and calls ParseCascades). See CascadeDir for where it looks.
func LoadCascadesFromModule() (*Cascades, error) {
	moduleOnce.Do(func() {
		dir, err := CascadeDir()
		if err != nil {
			moduleErr = err
			return
		}
		moduleCascades, moduleErr = LoadCascades(dir)
		if moduleErr != nil {
			return
		}
		moduleCascades.landmarks, moduleErr = LoadLandmarkCascades(filepath.Join(dir, "lps"))
	})
	return moduleCascades, moduleErr
}

// LoadCascades reads and parses dir/facefinder and dir/puploc.
func LoadCascades(dir string) (*Cascades, error) {
	ff, err := os.ReadFile(filepath.Join(dir, "facefinder"))
	if err != nil {
		return nil, fmt.Errorf("face: reading the facefinder cascade: %w", err)
	}
	pl, err := os.ReadFile(filepath.Join(dir, "puploc"))
	if err != nil {
		return nil, fmt.Errorf("face: reading the puploc cascade: %w", err)
	}
	return ParseCascades(ff, pl)
}

// CascadeDir returns the folder holding pigo's cascade files, trying in
// turn:
//
//  1. $ONESHOT_CASCADES, if set;
//  2. the module cache ($GOMODCACHE, $GOPATH/pkg/mod, ~/go/pkg/mod, then
//     `go env GOMODCACHE`) at the pigo version this binary was built
//     with, read from its build information;
//  3. `go list -m -f {{.Dir}} github.com/esimov/pigo`, run in the current
//     directory (works inside this module's tree, e.g. under go run).
//
// The error, when all fail, says what to do.
func CascadeDir() (string, error) {
	if d := os.Getenv(EnvCascadeDir); d != "" {
		return d, nil
	}
	var tried []string
	if v := pigoVersion(); v != "" {
		rel := filepath.Join(escapeModulePath(PigoModule)+"@"+v, "cascade")
		for _, root := range modCacheRoots() {
			d := filepath.Join(root, rel)
			if hasCascades(d) {
				return d, nil
			}
			tried = append(tried, d)
		}
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			if root := strings.TrimSpace(string(out)); root != "" {
				d := filepath.Join(root, rel)
				if hasCascades(d) {
					return d, nil
				}
				tried = append(tried, d)
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", PigoModule).Output()
	if err == nil {
		d := filepath.Join(strings.TrimSpace(string(out)), "cascade")
		if hasCascades(d) {
			return d, nil
		}
		tried = append(tried, d)
	} else {
		tried = append(tried, "go list -m "+PigoModule+": "+firstLine(err, out))
	}
	return "", fmt.Errorf("face: pigo's cascade files not found (tried %s); run `go mod download %s` inside the module, or set %s to a folder holding facefinder and puploc",
		strings.Join(tried, "; "), PigoModule, EnvCascadeDir)
}

func hasCascades(dir string) bool {
	for _, f := range []string{"facefinder", "puploc"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// pigoVersion is the version of pigo linked into this binary, or "".
func pigoVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == PigoModule {
			if m.Replace != nil {
				if m.Replace.Version == "" { // replaced by a local folder
					return ""
				}
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return ""
}

// modCacheRoots lists candidate module cache folders, most specific first.
func modCacheRoots() []string {
	var roots []string
	if d := os.Getenv("GOMODCACHE"); d != "" {
		roots = append(roots, d)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		for _, p := range filepath.SplitList(gp) {
			roots = append(roots, filepath.Join(p, "pkg", "mod"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, "go", "pkg", "mod"))
	}
	return roots
}

// escapeModulePath applies the module cache's case encoding: each upper
// case letter becomes '!' and its lower case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstLine(err error, out []byte) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		out = ee.Stderr
	}
	if line, _, _ := bytes.Cut(bytes.TrimSpace(out), []byte("\n")); len(line) > 0 {
		return string(line)
	}
	return err.Error()
}

// LoadLandmarkCascadesFromModule reads and parses the nose and mouth
// cascades (cascade/lps/lp93 and lp84) from the folder CascadeDir finds.
func LoadLandmarkCascadesFromModule() (*LandmarkCascades, error) {
	dir, err := CascadeDir()
	if err != nil {
		return nil, err
	}
	return LoadLandmarkCascades(filepath.Join(dir, "lps"))
}

// LoadLandmarkCascades reads and parses dir/lp93 (the nose tip) and
// dir/lp84 (a mouth corner).
func LoadLandmarkCascades(dir string) (*LandmarkCascades, error) {
	nose, err := os.ReadFile(filepath.Join(dir, NoseCascadeFile))
	if err != nil {
		return nil, fmt.Errorf("face: reading the nose cascade: %w", err)
	}
	mouth, err := os.ReadFile(filepath.Join(dir, MouthCascadeFile))
	if err != nil {
		return nil, fmt.Errorf("face: reading the mouth cascade: %w", err)
	}
	return ParseLandmarkCascades(nose, mouth)
}
