//go:build !js

// Package prepare turns a data set on disk into training samples for
// package train: it decodes every picture of a list of people (package
// dataset reads the lists), finds the best face and its pupils once, and
// labels each face with its person's index, so that a training run never
// searches a picture again.
//
// It lives apart from the training loop because only cmd/train reads a
// data set: fine-tuning in the tab trains the same loop on crops the page
// captured, and the WebAssembly module that runs it links neither this
// package nor dataset. It is built natively only, as face.DecodePhoto is.
package prepare

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"os"
	"sync"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/train"
)

// Stats counts what Samples kept and dropped.
type Stats struct {
	Images, Kept, NoFace, Unreadable, FallbackEyes int
}

// Samples decodes every image of people, finds the best face and its
// pupils, and returns the usable samples with Label = index into people.
// A sample's Eyes are where template t aligns the face from
// (face.Detector.AlignEyes: the pupils, or for a five-point template the
// five-point fit), and serve every crop cut of it, whatever its size.
// Images without a face are dropped (and counted); faces whose pupils were
// not found keep the box-based eye estimate (counted as FallbackEyes).
// newDetector makes one detector per worker.
func Samples(ctx context.Context, people []dataset.Person, newDetector func() *face.Detector, t face.Template, workers int, progress func(done, total int)) ([]train.Sample, Stats, error) {
	type job struct {
		path  string
		label int
	}
	var jobs []job
	for i, p := range people {
		for _, path := range p.Images {
			jobs = append(jobs, job{path, i})
		}
	}
	if workers < 1 {
		workers = 1
	}
	if t.FivePoint && newDetector().LandmarkCascades == nil {
		return nil, Stats{}, fmt.Errorf("prepare: %w: template %q", face.ErrNoLandmarkCascades, t.Name)
	}
	results := make([]*train.Sample, len(jobs))
	reasons := make([]int, len(jobs)) // 0 ok, 1 no face, 2 unreadable
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			det := newDetector()
			for i := range next {
				s, reason := one(det, t, jobs[i].path, jobs[i].label)
				results[i], reasons[i] = s, reason
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(jobs))
				}
				mu.Unlock()
			}
		}()
	}
	var err error
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, Stats{}, err
	}
	st := Stats{Images: len(jobs)}
	var out []train.Sample
	for i, s := range results {
		switch reasons[i] {
		case 1:
			st.NoFace++
		case 2:
			st.Unreadable++
		default:
			if !s.Eyes.Found {
				st.FallbackEyes++
			}
			out = append(out, *s)
		}
	}
	st.Kept = len(out)
	if len(out) == 0 {
		return nil, st, fmt.Errorf("prepare: no usable face among %d images", len(jobs))
	}
	return out, st, nil
}

// one decodes the image at path and finds its face, aligned from where t
// aligns it: the sample, and 0, or nil and 1 (no usable face) or 2
// (unreadable).
func one(det *face.Detector, t face.Template, path string, label int) (*train.Sample, int) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 2
	}
	img, _, err := face.DecodePhoto(f)
	f.Close()
	if err != nil {
		return nil, 2
	}
	a, err := det.Analyze(img)
	if err != nil || len(a.Faces) == 0 {
		return nil, 1
	}
	eyes, err := det.AlignEyes(a, t)
	if err != nil {
		return nil, 1
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return &train.Sample{Path: path, Label: label, Img: rgba, Eyes: eyes}, 0
}
