package eval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"time"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/loss"
)

// batchSize is how many aligned crops a worker embeds in one forward pass
// (more when one face has more alterations: its crops stay in one batch).
const batchSize = 16

// Pairs runs the verification test on pairs: it embeds every distinct image
// once, in parallel with one worker per element of embedders (make them with
// Embedder.Clone; each worker also gets its own Detector from newDetector),
// computes each pair's distance (squared, or cohort-normalised when the
// first embedder has a cohort, as the gallery compares) and the figures of
// the Report (see
// FromDistances and the package comment for failures).
//
// progress, when not nil, is called from the calling goroutine after each
// batch of images with the number of images done and their total.
//
// An image file that cannot be read or decoded stops the test with an
// error naming it (usually a wrong image root); an image without a face
// does not. Pairs returns ctx's error when ctx is cancelled.
func Pairs(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	pairs []dataset.Pair, progress func(done, total int)) (Report, error) {
	return PairsAltered(ctx, embedders, newDetector, pairs, nil, progress)
}

// PairsAltered is Pairs with every aligned crop passed to alter before it
// is embedded (nil: none), to ask how the embedder fares on other inputs
// than the pipeline's (crops degraded, shifted or scaled).
func PairsAltered(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	pairs []dataset.Pair, alter func(crop *image.RGBA), progress func(done, total int)) (Report, error) {
	return pairsReport(ctx, embedders, newDetector, pairs, alter, nil, progress)
}

// PairDistance is the distance of pair p whose two images embed to a and
// b (neither nil), for PairsBy.
type PairDistance func(p dataset.Pair, a, b []float32) (float32, error)

// PairsBy is Pairs with every pair's distance given by distance instead of
// the model's own comparison: for measuring a comparison that depends on
// the pair itself, as cmd/cohort's calibration leaves the pair's own
// people out of the cohort's statistics.
func PairsBy(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	pairs []dataset.Pair, distance PairDistance, progress func(done, total int)) (Report, error) {
	if distance == nil {
		return Report{}, errors.New("eval: distance is nil")
	}
	return pairsReport(ctx, embedders, newDetector, pairs, nil, distance, progress)
}

// pairsReport is Pairs with alter (nil: none) and distance (nil: the
// model's comparison, see comparer).
func pairsReport(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	pairs []dataset.Pair, alter func(crop *image.RGBA), distance PairDistance, progress func(done, total int)) (Report, error) {
	start := time.Now()
	if len(embedders) == 0 {
		return Report{}, errors.New("eval: no embedders: pass one per worker (Embedder.Clone)")
	}
	for i, e := range embedders {
		if e == nil {
			return Report{}, fmt.Errorf("eval: embedder %d is nil", i)
		}
	}
	if newDetector == nil {
		return Report{}, errors.New("eval: newDetector is nil")
	}
	if len(pairs) == 0 {
		return Report{}, errors.New("eval: no pairs")
	}

	// Distinct images, in order of first appearance.
	index := make(map[string]int)
	var paths []string
	pairImg := make([][2]int, len(pairs))
	for i, p := range pairs {
		for j, path := range [2]string{p.A, p.B} {
			k, ok := index[path]
			if !ok {
				k = len(paths)
				index[path] = k
				paths = append(paths, path)
			}
			pairImg[i][j] = k
		}
	}

	imgs, err := embedImages(ctx, embedders, newDetector, paths, []func(*image.RGBA){alter}, progress)
	if err != nil {
		return Report{}, err
	}

	pairDist := func(i, j, k int) (float32, error) { return distance(pairs[i], imgs[j].emb(), imgs[k].emb()) }
	if distance == nil {
		byImage, err := comparer(embedders[0].Cohort, imgs)
		if err != nil {
			return Report{}, err
		}
		pairDist = func(_, j, k int) (float32, error) { return byImage(j, k) }
	}
	dist := make([]float32, len(pairs))
	same := make([]bool, len(pairs))
	failed := make([]bool, len(pairs))
	fold := make([]int, len(pairs))
	fallbackPairs := 0
	for i, p := range pairs {
		a, b := imgs[pairImg[i][0]], imgs[pairImg[i][1]]
		same[i], fold[i] = p.Same, p.Fold
		if a.noFace || b.noFace {
			failed[i] = true
			continue
		}
		if a.fallback || b.fallback {
			fallbackPairs++
		}
		if dist[i], err = pairDist(i, pairImg[i][0], pairImg[i][1]); err != nil {
			return Report{}, fmt.Errorf("eval: pair %d (%s, %s): %w", i, p.A, p.B, err)
		}
	}
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		return Report{}, err
	}
	r.Images = len(paths)
	r.FallbackEyesPairs = fallbackPairs
	for k, im := range imgs {
		if im.noFace {
			r.NoFace = append(r.NoFace, paths[k])
		}
		if im.fallback {
			r.FallbackEyes++
		}
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// Embed runs the face pipeline and the embedder on every path, one worker
// per element of embedders (as Pairs), and returns each image's embedding,
// nil for an image where no face was found. progress is as for Pairs.
func Embed(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	paths []string, progress func(done, total int)) ([][]float32, error) {
	return EmbedAltered(ctx, embedders, newDetector, paths, nil, progress)
}

// EmbedAltered is Embed with every aligned crop passed to alter before it
// is embedded (nil: none), as PairsAltered.
func EmbedAltered(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	paths []string, alter func(crop *image.RGBA), progress func(done, total int)) ([][]float32, error) {
	out, err := EmbedAlterations(ctx, embedders, newDetector, paths, []func(*image.RGBA){alter}, progress)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// EmbedAlterations is EmbedAltered for several alterations at once:
// out[a][i] is image i's embedding with its aligned crop passed to
// alters[a] (nil: as aligned), nil where no face was found. Each image is
// decoded, searched and aligned once, however many alterations (shifted
// and scaled copies of each crop, or each crop and its mirror image).
func EmbedAlterations(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	paths []string, alters []func(crop *image.RGBA), progress func(done, total int)) ([][][]float32, error) {
	if len(embedders) == 0 {
		return nil, errors.New("eval: no embedders: pass one per worker (Embedder.Clone)")
	}
	if newDetector == nil {
		return nil, errors.New("eval: newDetector is nil")
	}
	if len(alters) == 0 {
		return nil, errors.New("eval: no alterations (pass nil for the crops as aligned)")
	}
	imgs, err := embedImages(ctx, embedders, newDetector, paths, alters, progress)
	if err != nil {
		return nil, err
	}
	out := make([][][]float32, len(alters))
	for a := range out {
		out[a] = make([][]float32, len(imgs))
		for k, im := range imgs {
			if im.embs != nil {
				out[a][k] = im.embs[a]
			}
		}
	}
	return out, nil
}

// comparer returns the distance between images j and k as the engine
// computes it: the squared distance of their embeddings, or with the
// model's cohort the normalised one (gallery.Cohort), each image's
// statistics computed once.
func comparer(c *gallery.Cohort, imgs []imageResult) (func(j, k int) (float32, error), error) {
	if c == nil {
		return func(j, k int) (float32, error) { return loss.SquaredDistance(imgs[j].emb(), imgs[k].emb()) }, nil
	}
	stats := make([]gallery.CohortStats, len(imgs))
	for k, im := range imgs {
		if im.noFace {
			continue
		}
		s, err := c.Stats(im.emb())
		if err != nil {
			return nil, fmt.Errorf("eval: the model's cohort: %w", err)
		}
		stats[k] = s
	}
	return func(j, k int) (float32, error) {
		return c.Distance(imgs[j].emb(), imgs[k].emb(), stats[j], stats[k]), nil
	}, nil
}

// imageResult is what the pipeline made of one image.
type imageResult struct {
	embs     [][]float32 // one embedding per alteration; nil without a face
	noFace   bool        // no face found: the image cannot be embedded
	fallback bool        // face found, pupils not: aligned with box-estimated eyes
}

// emb is the image's embedding with the first alteration, nil without a
// face.
func (r imageResult) emb() []float32 {
	if r.embs == nil {
		return nil
	}
	return r.embs[0]
}

// embedImages runs the face pipeline and the embedder on every path, one
// worker per embedder, and returns one result per path: each aligned crop
// is embedded once per element of alters, passed to it first (nil: as
// aligned).
func embedImages(ctx context.Context, embedders []*embedder.Embedder, newDetector func() *face.Detector,
	paths []string, alters []func(*image.RGBA), progress func(done, total int)) ([]imageResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]imageResult, len(paths))
	jobs := make(chan int)
	done := make(chan int, len(embedders)) // images finished, per report
	var (
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}

	workers := make([]*worker, len(embedders))
	for i, e := range embedders {
		workers[i] = &worker{e: e, det: newDetector(), alters: alters, results: results, done: done}
		if workers[i].det == nil {
			return nil, errors.New("eval: newDetector returned nil")
		}
	}
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(ctx, jobs, paths); err != nil {
				fail(err)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for k := range paths {
			select {
			case jobs <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	finished := 0
	for n := range done {
		finished += n
		if progress != nil {
			progress(finished, len(paths))
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if finished != len(paths) {
		return nil, fmt.Errorf("eval: %d of %d images embedded", finished, len(paths))
	}
	return results, nil
}

// worker embeds images with its own Embedder and Detector, batching
// aligned crops into one forward pass.
type worker struct {
	e       *embedder.Embedder
	det     *face.Detector
	alters  []func(*image.RGBA) // one crop per alteration of each face; nil: as aligned
	results []imageResult
	done    chan<- int

	crops []*image.RGBA
	batch []int // image index of each crop in use; an image's crops are consecutive, one per alteration
}

func (w *worker) run(ctx context.Context, jobs <-chan int, paths []string) error {
	for k := range jobs {
		if ctx.Err() != nil {
			continue // drain
		}
		found, err := w.prepare(k, paths[k])
		if err != nil {
			return err
		}
		if !found {
			w.done <- 1
			continue
		}
		if len(w.batch)+len(w.alters) > batchSize {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.flush()
}

// prepare decodes image k and finds its face; when there is one it aligns
// it into the next free crops of the batch, one per alteration, and
// reports true.
func (w *worker) prepare(k int, path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("eval: %w (is the image root right?)", err)
	}
	img, _, err := face.DecodePhoto(f)
	f.Close()
	if err != nil {
		return false, fmt.Errorf("eval: %s: %w", path, err)
	}
	a, err := w.det.Analyze(img)
	if err != nil {
		return false, fmt.Errorf("eval: %s: %w", path, err)
	}
	if len(a.Faces) == 0 {
		w.results[k].noFace = true
		return false, nil
	}
	w.results[k].fallback = !a.Eyes.Found
	eyes, err := w.det.AlignEyes(a, w.e.Template)
	if err != nil {
		return false, fmt.Errorf("eval: %s: %w", path, err)
	}
	first := len(w.batch)
	for n := range w.alters {
		i := first + n
		if i == len(w.crops) {
			w.crops = append(w.crops, w.e.Template.NewCrop())
		}
		if n == 0 {
			if err := face.Align(w.crops[i], img, eyes, w.e.Template); err != nil {
				return false, fmt.Errorf("eval: %s: %w", path, err)
			}
		} else {
			copy(w.crops[i].Pix, w.crops[first].Pix) // the crop as aligned
		}
		w.batch = append(w.batch, k)
	}
	// Alter the copies once all are made, so each starts from the crop as aligned.
	for n, alter := range w.alters {
		if alter != nil {
			alter(w.crops[first+n])
		}
	}
	return true, nil
}

// flush embeds the crops of the batch.
func (w *worker) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	embs, err := w.e.EmbedCrops(w.crops[:len(w.batch)])
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	for i, k := range w.batch {
		r := &w.results[k]
		r.embs = append(r.embs, embs[i]) // in the order of the alterations
	}
	w.done <- len(w.batch) / len(w.alters)
	w.batch = w.batch[:0]
	return nil
}
