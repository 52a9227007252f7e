package nn

import (
	"bytes"
	"os"
	"path/filepath"
)

// SaveFile writes m to the file at path in the model file format (Save),
// creating its folder, through a temporary file renamed over path: a
// failure — a model Save refuses, a full disk — leaves whatever was at
// path as it was and no half-written file. It returns the file's size.
func SaveFile(path string, m *Model) (int64, error) {
	var buf bytes.Buffer
	if err := Save(&buf, m); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return int64(buf.Len()), nil
}
