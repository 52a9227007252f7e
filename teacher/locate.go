package teacher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ManifestName is the weights manifest of face-api's face recognition net.
const ManifestName = "face_recognition_model-weights_manifest.json"

// PackagePath is where scripts/fetch-faceapi.sh installs face-api, relative
// to the module root.
const PackagePath = "third_party/node_modules/@vladmandic/face-api"

// ErrNotFetched means the face-api package is not on this machine.
var ErrNotFetched = errors.New("teacher: face-api weights not found; run scripts/fetch-faceapi.sh or set ONESHOT_FACEAPI")

// ModelDir finds the folder holding ManifestName and its .bin shards:
//
//   - $ONESHOT_FACEAPI if set: the model folder itself, the face-api
//     package folder (with model/ inside), the folder npm installed into
//     (with node_modules/ inside, like third_party/), or the module root;
//   - else PackagePath/model below the module root, found by walking up from
//     the working directory to the first go.mod.
//
// The error wraps ErrNotFetched when nothing is found.
func ModelDir() (string, error) {
	if env := os.Getenv("ONESHOT_FACEAPI"); env != "" {
		for _, d := range []string{
			env,
			filepath.Join(env, "model"),
			filepath.Join(env, "node_modules", "@vladmandic", "face-api", "model"),
			filepath.Join(env, PackagePath, "model"),
		} {
			if hasManifest(d) {
				return d, nil
			}
		}
		return "", fmt.Errorf("%w: ONESHOT_FACEAPI=%s holds no %s (looked in it, model/, node_modules/@vladmandic/face-api/model and %s/model)", ErrNotFetched, env, ManifestName, PackagePath)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotFetched, err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, PackagePath, "model")
			if hasManifest(d) {
				return d, nil
			}
			return "", fmt.Errorf("%w (looked in %s)", ErrNotFetched, d)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w (no go.mod above the working directory)", ErrNotFetched)
		}
		dir = parent
	}
}

func hasManifest(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, ManifestName))
	return err == nil && st.Mode().IsRegular()
}
