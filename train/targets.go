package train

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/sha256"
)

// Targets holds the teacher's embeddings of each sample: Plain[i] of the
// aligned face and, when computed, Flipped[i] of its mirror image.
// Distillation pulls the student's embedding of a (jittered) face towards
// the one whose flip matches the jitter's. Without Flipped the plain
// target serves both, which also teaches the student that a mirrored face
// is the same person (and halves the teacher's work).
type Targets struct {
	Plain, Flipped [][]float32
	// Views, when not empty, are sets of the teacher's embeddings of
	// augmented views of each sample (TeacherViews), each set made with its
	// own seed (and blend probability); a Trainer then distils on them
	// instead of on Plain and Flipped, each step showing a face as one of
	// its views in any set, picked at random. Several sets give the student
	// more distinct pictures than one, for the teacher time of the new
	// set alone.
	Views []*Views
	// Resumed is how many of Plain and Flipped TeacherTargets read back
	// from the journal of a run stopped while making their cache (0: none).
	Resumed int
}

// For returns the target of sample i seen flipped or not.
func (t *Targets) For(i int, flipped bool) []float32 {
	if flipped && t.Flipped != nil {
		return t.Flipped[i]
	}
	return t.Plain[i]
}

// Centre centres the teacher's embeddings on their mean and scales them
// to unit length. dlib's descriptors share a large common component (two
// random faces have a cosine similarity near 0.8), so the raw directions
// would let the student lower the distillation loss from 2 to about 0.5
// by mapping every face to that mean direction — the collapse the margin
// is meant to forbid. Centred, what is left to match is what tells people
// apart; distances between centred vectors are the teacher's distances.
func (t *Targets) Centre() {
	dim := len(t.Plain[0])
	mean := make([]float64, dim)
	n := 0
	sets := [][][]float32{t.Plain, t.Flipped} // Flipped may be nil
	for _, vw := range t.Views {
		sets = append(sets, vw.Vecs)
	}
	for _, set := range sets {
		for _, v := range set {
			for i, x := range v {
				mean[i] += float64(x)
			}
			n++
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	for _, set := range sets {
		for _, v := range set {
			var s float64
			for i := range v {
				v[i] -= float32(mean[i])
				s += float64(v[i]) * float64(v[i])
			}
			if s > 0 {
				k := float32(1 / math.Sqrt(s))
				for i := range v {
					v[i] *= k
				}
			}
		}
	}
}

// FlippedCachePath is where TeacherTargets caches targets that include
// mirror images, given the path of the plain cache: "-flipped" before its
// extension.
func FlippedCachePath(cachePath string) string {
	ext := filepath.Ext(cachePath)
	return strings.TrimSuffix(cachePath, ext) + "-flipped" + ext
}

// teacherBatch is how many crops a teacher embeds in one forward pass: a
// few, so its matrix products are large enough to run efficiently.
const teacherBatch = 8

// TeacherTargets returns the teacher's embeddings of every sample (and of
// its mirror image when flipped is true), read from the cache when it
// holds them (for the same paths, in order, and the same teacher key) and
// otherwise computed with the teachers (one Embedder per worker) and
// written there. key identifies the teacher (for example a hash of its
// model file), so a cache of another teacher is never used. The plain
// targets are cached under the name cachePath, those with mirror images
// beside it (see FlippedCachePath), so neither overwrites the other; a run
// without mirror images also takes them from the latter. Each name is
// given the samples' number and digest (SamplesCachePath), so caches of
// other samples stay beside it. A journal keeps the work of a run stopped
// before its cache was written, as for TeacherViews (Targets.Resumed).
func TeacherTargets(ctx context.Context, teachers []*embedder.Embedder, samples []Sample, flipped bool, cachePath, key string, progress func(done, total int)) (*Targets, error) {
	if cachePath != "" {
		flippedPath, flippedKey := FlippedCachePath(cachePath), key+"+flipped"
		if t, err := readTargets(flippedPath, flippedKey, samples); err == nil {
			if !flipped {
				t.Flipped = nil
			}
			return t, nil
		}
		if flipped {
			cachePath, key = flippedPath, flippedKey
		} else if t, err := readTargets(cachePath, key, samples); err == nil {
			return t, nil
		}
	}
	per := 1
	if flipped {
		per = 2
	}
	var jr *journal
	if cachePath != "" {
		var err error
		if jr, err = openJournal(SamplesCachePath(cachePath, samples), key, len(samples)*per); err != nil {
			return nil, err
		}
		defer jr.Close()
	}
	vs := make([][]float32, len(samples)*per)
	var todo []int // the embeddings the journal of a stopped run does not hold
	for k := range vs {
		if vs[k] = jr.Have(k); vs[k] == nil {
			todo = append(todo, k)
		}
	}
	err := teach(ctx, teachers, todo, vs, jr, func(te *embedder.Embedder, k int) (*image.RGBA, string, error) {
		s := samples[k/per]
		c := te.Template.NewCrop()
		return c, s.Path, face.AlignJittered(c, s.Img, s.Eyes, te.Template, face.Jitter{Flip: k%per == 1})
	}, progress)
	if err != nil {
		return nil, err
	}
	t := &Targets{Plain: make([][]float32, len(samples)), Resumed: jr.Len()}
	if flipped {
		t.Flipped = make([][]float32, len(samples))
	}
	for i := range samples {
		t.Plain[i] = vs[i*per]
		if flipped {
			t.Flipped[i] = vs[i*per+1]
		}
	}
	if cachePath != "" {
		if err := writeTargets(cachePath, key, samples, t); err != nil {
			return nil, err
		}
		if err := jr.Done(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// teach embeds the crops todo names with the teachers (one goroutine
// each), in chunks of teacherBatch, into into[k] for each k of todo:
// crop(te, k) makes crop k (and names its image for errors). Each
// embedding is added to the journal jr (nil: none) as its chunk is done.
// progress is told at once of the embeddings jr already held, when it held
// any, and after each chunk of how many are done, those included.
func teach(ctx context.Context, teachers []*embedder.Embedder, todo []int, into [][]float32, jr *journal, crop func(te *embedder.Embedder, k int) (*image.RGBA, string, error), progress func(done, total int)) error {
	if len(todo) == 0 {
		return nil
	}
	if len(teachers) == 0 {
		return errors.New("train: no teacher to compute distillation targets with")
	}
	n, held := len(todo), jr.Len()
	if progress != nil && held > 0 {
		progress(held, held+n)
	}
	var mu sync.Mutex
	var firstErr error
	done := 0
	next := make(chan int) // first position in todo of a chunk of teacherBatch
	var wg sync.WaitGroup
	for _, te := range teachers {
		wg.Add(1)
		go func(te *embedder.Embedder) {
			defer wg.Done()
			var crops []*image.RGBA
			for lo := range next {
				hi := min(lo+teacherBatch, n)
				crops = crops[:0]
				var err error
				var name string
				for _, k := range todo[lo:hi] {
					var c *image.RGBA
					if c, name, err = crop(te, k); err != nil {
						break
					}
					crops = append(crops, c)
				}
				var v [][]float32
				if err == nil {
					v, err = te.EmbedCrops(crops)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("train: teacher on %s: %w", name, err)
				}
				if err == nil {
					for i, k := range todo[lo:hi] {
						into[k] = v[i]
						jr.Add(k, v[i])
					}
				}
				done += hi - lo
				if progress != nil {
					progress(held+done, held+n)
				}
				mu.Unlock()
			}
		}(te)
	}
feed:
	for lo := 0; lo < n; lo += teacherBatch {
		select {
		case next <- lo:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// The cache file: "OSTARGET", version 1, key, count, dim, then per sample
// a flag for flipped targets, then per sample its path and dim (or 2·dim)
// float32s, then a CRC-32 of everything before.
const targetsMagic = "OSTARGET"

// SamplesCachePath is the file a cache named path is written to for one
// list of samples: the number of samples and a digest of their paths
// before the extension, e.g. views-KEY-seed36-99210-1a2b3c4d.bin. A cache
// holds one list of samples, so without it a run on other people (all the
// training people after a run that held some out) would replace the
// other's cache — many minutes of teacher time — instead of keeping its
// own beside it. Caches written before this naming, at path itself, are
// still read when they hold the same samples (readTargets), never
// written.
//
// The digest is internal/sha256's, not crypto/sha256's: this package is
// part of the WebAssembly build (fine-tuning), which that package keeps
// free of crypto/sha256's FIPS module.
func SamplesCachePath(path string, samples []Sample) string {
	var names []byte
	for _, s := range samples {
		names = append(names, s.Path...)
		names = append(names, 0)
	}
	sum := sha256.Sum256(names)
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d-%x%s", strings.TrimSuffix(path, ext), len(samples), sum[:4], ext)
}

// writeTargets writes t, the targets of samples under key, to the cache
// named path (at SamplesCachePath(path, samples)), whole or not at all.
func writeTargets(path, key string, samples []Sample, t *Targets) error {
	path = SamplesCachePath(path, samples)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	h := crc32.NewIEEE()
	w := bufio.NewWriter(io.MultiWriter(f, h))
	dim := len(t.Plain[0])
	put := func(v any) { binary.Write(w, binary.LittleEndian, v) }
	putString := func(s string) { put(uint32(len(s))); w.WriteString(s) }
	w.WriteString(targetsMagic)
	put(uint32(1))
	putString(key)
	put(uint32(len(samples)))
	put(uint32(dim))
	hasFlip := uint32(0)
	if t.Flipped != nil {
		hasFlip = 1
	}
	put(hasFlip)
	for i, s := range samples {
		putString(s.Path)
		put(t.Plain[i])
		if t.Flipped != nil {
			put(t.Flipped[i])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, h.Sum32()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path) // never leave a half-written cache behind
}

// readTargets reads the targets of samples under key from the cache named
// path: from SamplesCachePath(path, samples) or, failing that, from a
// cache written before that naming at path itself. It returns an error
// when neither holds them: no file, another teacher or version (key),
// other samples, or a corrupted file.
func readTargets(path, key string, samples []Sample) (*Targets, error) {
	t, err := readTargetsFile(SamplesCachePath(path, samples), key, samples)
	if err == nil {
		return t, nil
	}
	if legacy, lerr := readTargetsFile(path, key, samples); lerr == nil {
		return legacy, nil
	}
	return nil, err
}

// readTargetsFile reads the targets of samples under key from the file at
// path.
func readTargetsFile(path, key string, samples []Sample) (*Targets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < len(targetsMagic)+4 || string(data[:len(targetsMagic)]) != targetsMagic {
		return nil, errors.New("not a targets cache")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("targets cache is corrupted")
	}
	p := body[len(targetsMagic):]
	u32 := func() uint32 {
		if len(p) < 4 {
			p = nil
			return 0
		}
		v := binary.LittleEndian.Uint32(p)
		p = p[4:]
		return v
	}
	str := func() string {
		n := int(u32())
		if n > len(p) {
			p = nil
			return ""
		}
		s := string(p[:n])
		p = p[n:]
		return s
	}
	floats := func(n int) []float32 {
		if 4*n > len(p) {
			p = nil
			return nil
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		}
		p = p[4*n:]
		return v
	}
	if u32() != 1 || str() != key {
		return nil, errors.New("targets cache is for another teacher or version")
	}
	n, dim := int(u32()), int(u32())
	if n != len(samples) || dim <= 0 || dim > 4096 {
		return nil, errors.New("targets cache is for other samples")
	}
	hasFlip := u32() == 1
	t := &Targets{Plain: make([][]float32, n)}
	if hasFlip {
		t.Flipped = make([][]float32, n)
	}
	for i := range samples {
		if str() != samples[i].Path {
			return nil, errors.New("targets cache is for other samples")
		}
		t.Plain[i] = floats(dim)
		if hasFlip {
			t.Flipped[i] = floats(dim)
		}
		if p == nil {
			return nil, errors.New("targets cache is truncated")
		}
	}
	return t, nil
}
