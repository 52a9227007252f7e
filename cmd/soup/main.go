// Command soup averages the weights of several runs of one embedder into
// one model file (a "model soup", nn.Average) and calibrates its
// verification threshold on the training people's pairs:
//
//	go run ./cmd/soup -out build/compact-soup.oneshot build/compact-v2u.oneshot build/compact-v2s.oneshot
//
// The runs must share an architecture and, for the average to mean
// anything, a starting point: restarts of one training, each from the
// weights of the one before, lie in one basin of the loss, and their mean
// sits nearer its flat middle than any one of them. The soup costs
// nothing at run time: the same network, file size and speed.
//
// The threshold is chosen, as cmd/train chooses it, to maximise accuracy
// on -pairs (default LFW pairsDevTrain.txt, pairs of training people:
// never of the test people), with the face pipeline of cmd/eval. The
// crop template and normalisation are the first model's; models with
// another template are refused, and so is a soup that tells fewer than
// 75% of the pairs apart at its best threshold (unrelated models: the mean
// of their weights verifies nothing).
//
// Flags:
//
//	-out FILE      model file to write (required; written whole or not at all: nn.SaveFile)
//	-pairs FILE    pairs to calibrate the threshold on (default $ONESHOT_DATA/lfw/pairsDevTrain.txt)
//	-root DIR      folder the pairs' image paths are under (default $ONESHOT_DATA/lfw/images)
//	-format F      lfw or plain (see cmd/eval)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		log.Fatal(err)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("soup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "model file to write")
	pairsPath := fs.String("pairs", "", "pairs of training people to calibrate the threshold on (default $ONESHOT_DATA/lfw/pairsDevTrain.txt)")
	root := fs.String("root", "", "folder the pairs' image paths are under (default $ONESHOT_DATA/lfw/images)")
	format := fs.String("format", "lfw", "pairs file format: lfw or plain")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: soup -out FILE [-pairs FILE -root DIR -format lfw|plain] MODEL MODEL...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() < 2 {
		fs.Usage()
		return errors.New("soup: want -out and at least two model files")
	}
	if *format != "lfw" && *format != "plain" {
		return fmt.Errorf("soup: -format %q: use lfw or plain", *format)
	}
	models, first, err := load(fs.Args())
	if err != nil {
		return err
	}
	soup, err := nn.Average(models...)
	if err != nil {
		return err
	}
	if *pairsPath == "" || *root == "" {
		data, err := dataset.Root()
		if err != nil {
			return fmt.Errorf("soup: no -pairs or -root given and %v", err)
		}
		if *pairsPath == "" {
			*pairsPath = filepath.Join(data, "lfw", "pairsDevTrain.txt")
		}
		if *root == "" {
			*root = filepath.Join(data, "lfw", "images")
		}
	}
	pairs, err := dataset.ReadPairsFile(*pairsPath, *root, *format)
	if err != nil {
		return fmt.Errorf("soup: the calibration pairs: %w", err)
	}
	// The first run's cohort (cmd/cohort) holds that run's embeddings, not
	// the soup's; give the soup its own with cmd/cohort.
	delete(soup.Meta, embedder.MetaCohort)
	threshold, acc, err := calibrate(ctx, soup, pairs, stderr)
	if err != nil {
		return err
	}
	if err := embedder.Describe(soup, first.Template, first.Norm, threshold); err != nil {
		return err
	}
	soup.Meta["trained_by"] = "cmd/soup " + strings.Join(args, " ")
	soup.Meta["soup_of"] = strings.Join(fs.Args(), " ")
	delete(soup.Meta, "wall_time") // the first run's, not the soup's
	delete(soup.Meta, "epochs_time")
	delete(soup.Meta, "seed")
	if _, err := nn.SaveFile(*out, soup); err != nil {
		return err
	}
	log.Printf("wrote %s: the mean of %d models; threshold %.4f calibrated on %s (accuracy %.4f there)",
		*out, len(models), threshold, *pairsPath, acc)
	return nil
}

// load reads the model files and checks that they crop faces alike; it
// returns the models and the first one's embedder.
func load(paths []string) ([]*nn.Model, *embedder.Embedder, error) {
	var models []*nn.Model
	var first *embedder.Embedder
	for _, p := range paths {
		e, err := embedder.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("soup: %w", err)
		}
		if first == nil {
			first = e
		} else if e.Template != first.Template || e.Norm != first.Norm {
			return nil, nil, fmt.Errorf("soup: %s crops or normalises faces unlike %s: not runs of one embedder", p, paths[0])
		}
		models = append(models, e.Model)
	}
	return models, first, nil
}

// calibrate embeds the pairs with m (as cmd/eval does) and returns the
// threshold that maximises accuracy on all of them, and that accuracy.
func calibrate(ctx context.Context, m *nn.Model, pairs []dataset.Pair, stderr io.Writer) (float32, float64, error) {
	e, err := embedder.New(m)
	if err != nil {
		return 0, 0, err
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return 0, 0, err
	}
	embs, err := e.Workers(runtime.NumCPU())
	if err != nil {
		return 0, 0, err
	}
	r, err := eval.Pairs(ctx, embs, cascades.NewDetector, pairs, func(done, total int) {
		fmt.Fprintf(stderr, "\rcalibrating: %d/%d images", done, total)
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return 0, 0, fmt.Errorf("soup: calibrating the threshold: %w", err)
	}
	acc := r.AccuracyAt(r.Threshold)
	if !(r.Threshold > 0) || acc < minSoupAccuracy {
		return 0, 0, fmt.Errorf("soup: at its best threshold the soup tells only %.3f of the calibration pairs apart: it does not verify faces; were the models runs of one trained embedder?", acc)
	}
	return r.Threshold, acc, nil
}

// minSoupAccuracy is the least accuracy on the calibration pairs, at the
// best threshold, of a soup worth writing. Chance is 0.5. A soup of runs
// of one trained embedder verifies about as well as they do (0.96 and more
// on pairsDevTrain); the mean of unrelated models' weights verifies barely
// better than chance (two untrained models: 0.55 on the test's 20 pairs).
const minSoupAccuracy = 0.75
