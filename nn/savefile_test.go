package nn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSaveFile: the file SaveFile writes (in a folder it creates) loads
// back to the same model and has the size it reports; a model Save
// refuses leaves the earlier file untouched and no temporary file.
func TestSaveFile(t *testing.T) {
	m := realModel(t)
	path := filepath.Join(t.TempDir(), "sub", "m.oneshot")
	n, err := SaveFile(path, m)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != n {
		t.Errorf("SaveFile reported %d bytes, the file has %d", n, len(data))
	}
	got, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, got)

	if _, err := SaveFile(path, &Model{}); err == nil {
		t.Fatal("a model with no network was saved")
	}
	if again, err := os.ReadFile(path); err != nil || !bytes.Equal(again, data) {
		t.Errorf("a refused save changed the earlier file (err %v)", err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("a refused save left %s.tmp (stat: %v)", path, err)
	}
}
