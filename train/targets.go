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
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// Targets holds the teacher's embeddings of each sample: Plain[i] of the
// aligned face and, when computed, Flipped[i] of its mirror image.
// Distillation pulls the student's embedding of a (jittered) face towards
// the one whose flip matches the jitter's. Without Flipped the plain
// target serves both, which also teaches the student that a mirrored face
// is the same person (and halves the teacher's work).
type Targets struct {
	Plain, Flipped [][]float32
	// Views, when not nil, are the teacher's embeddings of augmented views
	// of each sample (TeacherViews); a Trainer then distils on them instead
	// of on Plain and Flipped.
	Views *Views
}

// Views are the teacher's embeddings of Count augmented views of each
// sample, for consistent distillation: view v of sample i is the face seen
// through ViewJitter(Range, Seed, i, v), by the teacher when the targets
// were made and by the student when it trains on that view, so the two
// always look at the same picture. (A student shown a jittered face but
// pulled towards the teacher's embedding of the plain one learns a target
// that does not match its input; Beyer et al., "Knowledge distillation: A
// good teacher is patient and consistent", 2022, measure how much that
// costs.)
type Views struct {
	Count int // views per sample; view 0 is the plain face
	Range face.JitterRange
	Seed  uint64
	// Vecs[i*Count+v] is the teacher's embedding of view v of sample i.
	Vecs [][]float32
}

// Jitter returns the augmentation that makes view v of sample i.
func (vw *Views) Jitter(i, v int) face.Jitter {
	return ViewJitter(vw.Range, vw.Seed, i, v)
}

// ViewJitter is the augmentation of view v of sample i: none for view 0,
// otherwise a draw from r by a generator seeded with seed, i and v alone,
// so it can be made again on any machine without storing it.
func ViewJitter(r face.JitterRange, seed uint64, i, v int) face.Jitter {
	if v == 0 {
		return face.Jitter{}
	}
	return r.Sample(rand.New(rand.NewPCG(seed, uint64(i)<<16|uint64(v))))
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
	if t.Views != nil {
		sets = append(sets, t.Views.Vecs)
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
// targets are cached at cachePath, those with mirror images beside it (see
// FlippedCachePath), so neither overwrites the other; a run without mirror
// images also takes them from the latter.
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
	vs, err := teach(ctx, teachers, len(samples)*per, func(te *embedder.Embedder, k int) (*image.RGBA, string, error) {
		s := samples[k/per]
		c := te.Template.NewCrop()
		return c, s.Path, face.AlignJittered(c, s.Img, s.Eyes, te.Template, face.Jitter{Flip: k%per == 1})
	}, progress)
	if err != nil {
		return nil, err
	}
	t := &Targets{Plain: make([][]float32, len(samples))}
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
	}
	return t, nil
}

// maxViews bounds TeacherViews' count (the view number has 16 bits of
// the generator's stream).
const maxViews = 1 << 16

// TeacherViews returns the teacher's embeddings of count views of every
// sample (see Views): view 0 is the plain face, the others jittered from r
// with seed. student is the template of the crops the student will see:
// a jitter's blur is in crop pixels, so the teacher's is scaled by the
// ratio of the two templates' pupil distances to blur the face alike. The
// embeddings are read from cachePath when it holds them for the same
// samples, teacher key, count, range and seed, and otherwise computed and
// written there.
func TeacherViews(ctx context.Context, teachers []*embedder.Embedder, samples []Sample, student face.Template, count int, r face.JitterRange, seed uint64, cachePath, key string, progress func(done, total int)) (*Views, error) {
	if count < 1 || count > maxViews {
		return nil, fmt.Errorf("train: %d views per face; want 1…%d", count, maxViews)
	}
	if err := student.Validate(); err != nil {
		return nil, err
	}
	vw := &Views{Count: count, Range: r, Seed: seed}
	key = fmt.Sprintf("%s+views %d %d %v", key, count, seed, r)
	// The cache holds one entry per view, named path#view.
	named := make([]Sample, len(samples)*count)
	for k := range named {
		named[k] = Sample{Path: fmt.Sprintf("%s#%d", samples[k/count].Path, k%count)}
	}
	if cachePath != "" {
		if t, err := readTargets(cachePath, key, named); err == nil {
			vw.Vecs = t.Plain
			return vw, nil
		}
	}
	vecs, err := teach(ctx, teachers, len(named), func(te *embedder.Embedder, k int) (*image.RGBA, string, error) {
		i, v := k/count, k%count
		j := vw.Jitter(i, v)
		j.Blur *= te.Template.PupilDistance() / student.PupilDistance()
		c := te.Template.NewCrop()
		return c, samples[i].Path, face.AlignJittered(c, samples[i].Img, samples[i].Eyes, te.Template, j)
	}, progress)
	if err != nil {
		return nil, err
	}
	vw.Vecs = vecs
	if cachePath != "" {
		if err := writeTargets(cachePath, key, named, &Targets{Plain: vecs}); err != nil {
			return nil, err
		}
	}
	return vw, nil
}

// teach embeds n crops with the teachers (one goroutine each), in chunks
// of teacherBatch: crop(te, k) makes the k-th crop (and names its image for
// errors). progress is called after each chunk.
func teach(ctx context.Context, teachers []*embedder.Embedder, n int, crop func(te *embedder.Embedder, k int) (*image.RGBA, string, error), progress func(done, total int)) ([][]float32, error) {
	if len(teachers) == 0 {
		return nil, errors.New("train: no teacher to compute distillation targets with")
	}
	out := make([][]float32, n)
	var mu sync.Mutex
	var firstErr error
	done := 0
	next := make(chan int) // first crop of a chunk of teacherBatch
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
				for k := lo; k < hi && err == nil; k++ {
					var c *image.RGBA
					c, name, err = crop(te, k)
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
					copy(out[lo:hi], v)
				}
				done += hi - lo
				if progress != nil {
					progress(done, n)
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
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// The cache file: "OSTARGET", version 1, key, count, dim, then per sample
// a flag for flipped targets, then per sample its path and dim (or 2·dim)
// float32s, then a CRC-32 of everything before.
const targetsMagic = "OSTARGET"

func writeTargets(path, key string, samples []Sample, t *Targets) error {
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

func readTargets(path, key string, samples []Sample) (*Targets, error) {
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
