package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestBrotliSize(t *testing.T) {
	data := bytes.Repeat([]byte("oneshot wasm module "), 5000)
	cache := filepath.Join(t.TempDir(), "bench-brotli.json")
	n, cached, err := brotliSize(data, cache)
	if err != nil || cached || n <= 0 || n >= len(data)/10 {
		t.Fatalf("brotliSize: %d bytes, cached %v, err %v (input %d bytes)", n, cached, err, len(data))
	}
	// The size is the size of a stream that decodes to the input.
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotliQuality)
	w.Write(data)
	w.Close()
	if buf.Len() != n {
		t.Errorf("brotliSize = %d, a brotli -q %d stream is %d bytes", n, brotliQuality, buf.Len())
	}
	back, err := io.ReadAll(brotli.NewReader(&buf))
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("the stream does not decode to the input: %v", err)
	}
	// Second call: from the cache; other bytes: not.
	if n2, cached, err := brotliSize(data, cache); err != nil || !cached || n2 != n {
		t.Errorf("second call: %d, cached %v, err %v", n2, cached, err)
	}
	if _, cached, err := brotliSize(data[:len(data)-1], cache); err != nil || cached {
		t.Errorf("other bytes: cached %v, err %v", cached, err)
	}
	// A damaged cache is ignored.
	if err := os.WriteFile(cache, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n3, cached, err := brotliSize(data, cache); err != nil || cached || n3 != n {
		t.Errorf("damaged cache: %d, cached %v, err %v", n3, cached, err)
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"detectAlign": "detect_align", "embed": "embed", "": ""} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWasmGoVersion(t *testing.T) {
	for in, want := range map[string]string{
		"\x00asm...go1.27.3\x00go1.27.3": "go1.27.3",
		"xx go1.26 yy":                   "go1.26",
		"no version here":                "",
	} {
		if got := wasmGoVersion([]byte(in)); got != want {
			t.Errorf("wasmGoVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
