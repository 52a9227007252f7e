package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/nn"
	"github.com/oneshotface/oneshot/whiten"
)

// TestWhitenedTwice: a model whitened already is refused before any
// picture is embedded, and nothing is written.
func TestWhitenedTwice(t *testing.T) {
	dir := t.TempDir()
	m, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	m.Meta[whiten.MetaWhitening] = "whitened by a test"
	model := filepath.Join(dir, "w.oneshot")
	if _, err := nn.SaveFile(model, m); err != nil {
		t.Fatal(err)
	}
	people := filepath.Join(dir, "people.txt")
	if err := os.WriteFile(people, []byte("1\nNobody 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.oneshot")
	err = run(context.Background(), []string{"-model", model, "-out", out, "-whiten", "-people", people,
		"-pairs", filepath.Join(dir, "pairs.txt"), "-root", dir}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "whitened already") {
		t.Errorf("error %v, want one saying the model is whitened already", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written (stat: %v)", out, err)
	}
}
