package train

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"os"
	"sync"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/face"
)

// Sample is one training image, decoded, with its pupils and identity.
type Sample struct {
	Path  string
	Label int // index of the person in the list given to Prepare
	Img   *image.RGBA
	Eyes  face.Eyes
}

// PrepareStats counts what Prepare kept and dropped.
type PrepareStats struct {
	Images, Kept, NoFace, Unreadable, FallbackEyes int
}

// Prepare decodes every image of people, finds the best face and its
// pupils, and returns the usable samples with Label = index into people.
// Images without a face are dropped (and counted); faces whose pupils were
// not found keep the box-based eye estimate (counted as FallbackEyes).
// newDetector makes one detector per worker.
func Prepare(ctx context.Context, people []dataset.Person, newDetector func() *face.Detector, workers int, progress func(done, total int)) ([]Sample, PrepareStats, error) {
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
	results := make([]*Sample, len(jobs))
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
				s, reason := prepareOne(det, jobs[i].path, jobs[i].label)
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
		return nil, PrepareStats{}, err
	}
	st := PrepareStats{Images: len(jobs)}
	var out []Sample
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
		return nil, st, fmt.Errorf("train: no usable face among %d images", len(jobs))
	}
	return out, st, nil
}

func prepareOne(det *face.Detector, path string, label int) (*Sample, int) {
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
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return &Sample{Path: path, Label: label, Img: rgba, Eyes: a.Eyes}, 0
}
