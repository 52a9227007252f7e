// Command backendprobe asks whether a within-person whitening of an
// embedder's outputs (package whiten), learned on the training people,
// verifies unseen people better than the outputs as they come, and for
// which shrink of the within-person covariance:
//
//	go run ./cmd/backendprobe -model build/compact-h2.oneshot -pairs build/holdout/pairs.txt -people build/holdout/people.txt
//
// It runs the model without its final L2 normalisation on every picture of
// the people file (the people the whitening is learned on, whose first
// pictures make the cohort) and of the pairs file, each with its mirror
// image, once (whiten.Outputs); then for each shrink it learns the map
// (whiten.Learn) and scores the pairs with the embeddings the model would
// give with the map folded in (the unit mean of the crop's and its mirror
// image's unit vectors), raw and normalised against the cohort as the
// gallery compares. The first line, no map, is the model as it is. Use it
// on a model that never trained on the pairs' people (cmd/holdout), so that
// what it shows carries over to people the model has not seen. It prints
// one line per shrink; nothing is written. About 1.5 minutes on 2 cores for
// 9,355 pictures (1 min 36 s, 2026-11-29).
//
// Measured 2026-11-29 (MODEL_CARD.md) on h2, a run that never saw the
// held-out people, 658 + 658 held-out pairs, cohort of 3,240 people:
// normalised accuracy / AUC 0.918 / 0.9715 without a map, 0.926 / 0.9745
// with shrink 0.1, 0.919–0.927 / 0.9743–0.9745 for shrinks 0.1 to 0.5,
// 0.922 / 0.9710 with no shrink (0).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/whiten"
)

func main() {
	var (
		modelPath  = flag.String("model", "", "embedder model file (required)")
		pairsPath  = flag.String("pairs", "", "pairs file, LFW format (required)")
		peoplePath = flag.String("people", "", "training people, LFW people format: the whitening's data and the cohort (required)")
		root       = flag.String("root", "", "the LFW images folder (default $ONESHOT_DATA/lfw/images)")
		k          = flag.Int("k", 50, "nearest cohort faces per face's statistics")
		shrinks    = flag.String("shrinks", "0,0.1,0.2,0.25,0.3,0.4,0.5,0.75,1", "comma-separated shrinks to measure")
	)
	flag.Parse()
	if *modelPath == "" || *pairsPath == "" || *peoplePath == "" {
		flag.Usage()
		os.Exit(2)
	}
	alphas, err := parseShrinks(*shrinks)
	if err != nil {
		log.Fatal(err)
	}
	if *root == "" {
		data, err := dataset.Root()
		if err != nil {
			log.Fatal(err)
		}
		*root = filepath.Join(data, "lfw", "images")
	}
	if err := run(*modelPath, *pairsPath, *peoplePath, *root, *k, alphas); err != nil {
		log.Fatal(err)
	}
}

// parseShrinks reads -shrinks: comma-separated numbers from 0 to 1.
func parseShrinks(list string) ([]float64, error) {
	var alphas []float64
	for _, f := range strings.Split(list, ",") {
		a, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(a >= 0 && a <= 1) {
			return nil, fmt.Errorf("-shrinks: %q is not a number from 0 to 1", f)
		}
		alphas = append(alphas, a)
	}
	return alphas, nil
}

func run(modelPath, pairsPath, peoplePath, root string, k int, alphas []float64) error {
	pairs, err := dataset.ReadPairsFile(pairsPath, root, "lfw")
	if err != nil {
		return err
	}
	people, err := dataset.ReadPeopleFile(peoplePath, root)
	if err != nil {
		return err
	}
	index := map[string]int{}
	var paths []string
	add := func(path string) int {
		if i, ok := index[path]; ok {
			return i
		}
		index[path] = len(paths)
		paths = append(paths, path)
		return len(paths) - 1
	}
	for _, p := range pairs {
		add(p.A)
		add(p.B)
	}
	who := make([][]int, len(people)) // who[i]: the picture indices of person i
	for i, p := range people {
		for _, path := range p.Images {
			who[i] = append(who[i], add(path))
		}
	}
	outs, err := whiten.Outputs(context.Background(), modelPath, paths, func(done, total int) {
		if done%500 == 0 || done == total {
			fmt.Fprintf(os.Stderr, "\rmodel outputs: %d/%d pictures (each with its mirror image)", done, total)
		}
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	var data [][][][]float32
	for _, idx := range who {
		var faces [][][]float32
		for _, i := range idx {
			if outs[i] != nil {
				faces = append(faces, outs[i])
			}
		}
		if len(faces) > 0 {
			data = append(data, faces)
		}
	}

	fmt.Printf("%-16s %-38s %s\n", "whitening", "raw: accuracy ± std, AUC, TAR@1%", "cohort-normalised")
	for i := -1; i < len(alphas); i++ {
		name, t := "none", (*whiten.Transform)(nil)
		if i >= 0 {
			if t, err = whiten.Learn(data, alphas[i]); err != nil {
				return err
			}
			name = fmt.Sprintf("shrink %g", alphas[i])
		}
		vecs := make([][]float32, len(outs))
		for j, o := range outs {
			if o != nil {
				if vecs[j], err = embed(t, o); err != nil {
					return err
				}
			}
		}
		var cohortVecs [][]float32
		for _, idx := range who {
			for _, j := range idx {
				if vecs[j] != nil {
					cohortVecs = append(cohortVecs, vecs[j]) // the first picture with a face
					break
				}
			}
		}
		raw, normed, err := eval.RawAndNormalised(pairs, index, vecs, cohortVecs, k)
		if err != nil {
			return err
		}
		fmt.Printf("%-16s %.4f ± %.4f, %.5f, %.1f%%    %.4f ± %.4f, %.5f, %.1f%%\n", name,
			raw.Accuracy, raw.Std, raw.AUC, 100*raw.TARAtFAR1, normed.Accuracy, normed.Std, normed.AUC, 100*normed.TARAtFAR1)
	}
	return nil
}

// embed is what the model with t folded in (nil: as it is) embeds, given
// its outputs for a crop and its mirror image: the unit mean of each
// output's map scaled to unit length.
func embed(t *whiten.Transform, crops [][]float32) ([]float32, error) {
	embs := make([][]float32, len(crops))
	for i, z := range crops {
		y := z
		if t != nil {
			var err error
			if y, err = t.Apply(z); err != nil {
				return nil, err
			}
		}
		u, err := gallery.Unit(y)
		if err != nil {
			return nil, err
		}
		embs[i] = u
	}
	return gallery.MeanUnit(embs)
}
