package main

// Composite cohort faces: family photographs in the cohort without any
// one person's template in the file.
//
// A cohort judges a face against its nearest impostors, so it works best
// made of faces like the ones it judges: on FIW's family photographs a
// cohort holding FIW training people's faces beside LFW's press photographs
// verified better than LFW's alone (docs/training-log.md, 2026-12-07). But
// FIW's people are private, children among them, and a cohort travels in a
// file every page downloads. A composite is the pixel mean of n aligned
// pictures of n different people: a face of the same cameras, light, ages
// and eras, that is none of them. Whether it still gives its people away
// is measured, not assumed (leak): a mean of two people's pictures is a
// "morph" that verifies as either, and the more people a composite has,
// the less it resembles any one.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"sync"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// composite is one composite cohort face: its embedding, and the
// pictures it was made of (one of each of its people).
type composite struct {
	emb     []float32
	members []int // indices into the aligned pictures
}

// makeComposites makes up to count composite faces of size people each
// from people's pictures: round r takes the r-th picture of every person
// who has one and a face in it, in an order shuffled from a fixed seed,
// and cuts them into groups of size, so that no group holds a person
// twice and a person joins a new composite only with another picture.
// It returns the composites, the aligned pictures they index (every
// picture with a face it aligned on the way) and each one's person.
func makeComposites(ctx context.Context, people []dataset.Person, size, count int, embs []*embedder.Embedder,
	newDetector func() *face.Detector, progress func(done, total int)) ([]composite, []*image.RGBA, []string, error) {
	if size < 2 {
		return nil, nil, nil, fmt.Errorf("a composite of %d people: want at least 2", size)
	}
	var (
		crops  []*image.RGBA
		owner  []string
		made   []composite
		rounds int
	)
	for r := 0; len(made) < count; r++ {
		var paths []string
		for _, p := range people {
			if r < len(p.Images) {
				paths = append(paths, p.Images[r])
			}
		}
		if len(paths) < size {
			break
		}
		aligned, err := alignAll(ctx, paths, embs[0].Template, newDetector, len(embs), progress)
		if err != nil {
			return nil, nil, nil, err
		}
		rounds++
		var round []int // indices into crops of this round's faces
		for k, c := range aligned {
			if c == nil {
				continue
			}
			round = append(round, len(crops))
			crops = append(crops, c)
			owner = append(owner, person(paths[k]))
		}
		groups := group(round, size, count-len(made), uint64(r))
		faces := make([]*image.RGBA, len(groups))
		for g, members := range groups {
			faces[g] = meanCrop(crops, members)
		}
		vecs, err := embedAll(ctx, embs, faces)
		if err != nil {
			return nil, nil, nil, err
		}
		for g, members := range groups {
			made = append(made, composite{emb: vecs[g], members: members})
		}
	}
	if len(made) == 0 {
		return nil, nil, nil, errors.New("no composite could be made: too few people with a face")
	}
	log.Printf("%d composite faces of %d people each, from %d pictures of %d people (%d rounds)", len(made), size, len(crops), len(people), rounds)
	return made, crops, owner, nil
}

// group shuffles faces (from a fixed seed) and cuts them into at most
// limit groups of size, dropping the remainder.
func group(faces []int, size, limit int, seed uint64) [][]int {
	faces = slices.Clone(faces)
	rand.New(rand.NewPCG(seed, 0x636f686f7274)).Shuffle(len(faces), func(i, j int) { faces[i], faces[j] = faces[j], faces[i] })
	var groups [][]int
	for g := 0; g+size <= len(faces) && len(groups) < limit; g += size {
		groups = append(groups, faces[g:g+size])
	}
	return groups
}

// meanCrop is the pixel mean of the given crops, rounded.
func meanCrop(crops []*image.RGBA, members []int) *image.RGBA {
	first := crops[members[0]]
	out := image.NewRGBA(first.Rect)
	n := uint32(len(members))
	for k := range out.Pix {
		var s uint32
		for _, m := range members {
			s += uint32(crops[m].Pix[k])
		}
		out.Pix[k] = uint8((s + n/2) / n)
	}
	return out
}

// alignAll finds the face in each picture and aligns it to t: nil where
// no face is found. It runs workers detectors at once.
func alignAll(ctx context.Context, paths []string, t face.Template, newDetector func() *face.Detector,
	workers int, progress func(done, total int)) ([]*image.RGBA, error) {
	out := make([]*image.RGBA, len(paths))
	errs := make([]error, workers)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			det := newDetector()
			for k := w; k < len(paths); k += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				crop, err := alignOne(det, paths[k], t)
				if err != nil {
					errs[w] = err
					return
				}
				out[k] = crop
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(paths))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// alignOne decodes one picture and aligns its best face; nil when it has
// none. It aligns from the decoded picture, as cmd/eval and the engine do
// (eval's worker), so that composites are made of the crops the faces
// they judge are cut as; prepare.Samples, which finds faces for
// training, keeps an RGBA copy instead, whose crops differ by rounding
// (made from it, the shipped cohort's threshold moved from 0.9261 to
// 0.9406, 2026-12-07).
func alignOne(det *face.Detector, path string, t face.Template) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	img, _, err := face.DecodePhoto(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a, err := det.Analyze(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.Faces) == 0 {
		return nil, nil
	}
	eyes, err := det.AlignEyes(a, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	crop := t.NewCrop()
	if err := face.Align(crop, img, eyes, t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return crop, nil
}

// embedAll embeds the crops, the embedders sharing the work.
func embedAll(ctx context.Context, embs []*embedder.Embedder, crops []*image.RGBA) ([][]float32, error) {
	out := make([][]float32, len(crops))
	errs := make([]error, len(embs))
	const batch = 32
	var wg sync.WaitGroup
	for w, e := range embs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := w * batch; b < len(crops); b += len(embs) * batch {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				end := min(b+batch, len(crops))
				v, err := e.EmbedCrops(crops[b:end])
				if err != nil {
					errs[w] = err
					return
				}
				copy(out[b:end], v)
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// leakage measures how much the composites give their people away. For
// each composite, its cosines with its members' pictures are set against
// its cosines with every aligned picture of other people: AUC is the
// probability that the very picture a member gave lies nearer than a
// non-member's (the worst case: 0.5 is no telling them apart, 1 always),
// OtherAUC the same for the member's other pictures (what someone holding
// another photograph of them could do), and Nearest the share of
// composites whose nearest picture of all is one they were made of.
type leakage struct {
	AUC, OtherAUC float64
	Nearest       float64
}

// measureLeak measures the composites' leakage; pics are the embeddings
// of the aligned pictures the composites' members index, owner their
// people.
func measureLeak(made []composite, pics [][]float32, owner []string) leakage {
	byPerson := make(map[string][]int)
	for k, o := range owner {
		byPerson[o] = append(byPerson[o], k)
	}
	var own, other rankSum
	var nearest float64
	others := make([]float64, 0, len(pics))
	for _, c := range made {
		members := make([]string, len(c.members))
		for i, m := range c.members {
			members[i] = owner[m]
		}
		others = others[:0]
		for k, p := range pics {
			if !slices.Contains(members, owner[k]) {
				others = append(others, dot(c.emb, p))
			}
		}
		slices.Sort(others)
		best := others[len(others)-1]
		gave := false
		for _, m := range c.members {
			s := dot(c.emb, pics[m])
			own.add(others, s)
			gave = gave || s > best
			for _, k := range byPerson[owner[m]] {
				if k != m {
					other.add(others, dot(c.emb, pics[k]))
				}
			}
		}
		if gave {
			nearest++
		}
	}
	return leakage{AUC: own.auc(), OtherAUC: other.auc(), Nearest: nearest / float64(len(made))}
}

// rankSum accumulates, for member cosines, how many non-member cosines
// lie below each (ties counting half), and out of how many.
type rankSum struct{ below, of float64 }

// add counts the values of sorted below s.
func (r *rankSum) add(sorted []float64, s float64) {
	lo, _ := slices.BinarySearch(sorted, s)
	hi := lo
	for hi < len(sorted) && sorted[hi] == s {
		hi++
	}
	r.below += float64(lo) + float64(hi-lo)/2
	r.of += float64(len(sorted))
}

// auc is the share of non-members below a member (NaN when nothing was
// added).
func (r rankSum) auc() float64 { return r.below / r.of }

// dot is the inner product of two embeddings.
func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
