// Command ensemble joins two trained embedders into one model file whose
// embedding is the unit-length sum of theirs (nn.Ensemble):
//
//	go run ./cmd/ensemble -out build/compact-e.oneshot models/compact.oneshot build/compact-u1.oneshot
//	go run ./cmd/cohort -model build/compact-e.oneshot -out build/compact-ec.oneshot
//
// Two students trained from different starting weights err on different
// faces; when both were distilled from the same teacher they map faces
// into the teacher's space, so the sum of their embeddings is a better
// estimate of it than either. The members must crop and normalise faces
// alike (the same template, normalisation and input). The joined model
// has the first member's metadata without its cohort and thresholds,
// which belonged to the first member alone (give it its own with
// cmd/cohort), and an architecture that names both members'. It costs
// both networks' time and size, and the tab's head-mode fine-tuning,
// which needs one sequence of layers with a head named "embed", refuses it
// (full mode trains it).
//
// Before writing, it measures how far the members agree: the mean cosine
// between their embeddings of the first picture of the first -agree people
// of -people (default LFW peopleDevTrain.txt, training people only). Near 0
// the members live in unrelated spaces and their sum is refused (below
// -min-agree); students of one teacher agree at about 0.8.
//
// Flags:
//
//	-out FILE        model file to write (required; written whole or not at all: nn.SaveFile)
//	-people FILE     people whose first pictures measure the agreement (LFW people format)
//	-root DIR        folder the people's images are under (default $ONESHOT_DATA/lfw/images)
//	-agree N         how many people's pictures (default 300; 0 skips the check)
//	-min-agree C     least mean cosine to accept (default 0.5)
package main

import (
	"cmp"
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
	fs := flag.NewFlagSet("ensemble", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "model file to write")
	peoplePath := fs.String("people", "", "people whose first pictures measure the members' agreement (default $ONESHOT_DATA/lfw/peopleDevTrain.txt)")
	root := fs.String("root", "", "folder the people's images are under (default $ONESHOT_DATA/lfw/images)")
	agree := fs.Int("agree", 300, "how many people's pictures measure the agreement (0: skip the check)")
	minAgree := fs.Float64("min-agree", 0.5, "least mean cosine between the members' embeddings to accept")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ensemble -out FILE [-people FILE -root DIR -agree N -min-agree C] MODEL MODEL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 2 {
		fs.Usage()
		return errors.New("ensemble: want -out and exactly two model files")
	}
	if *agree < 0 {
		return fmt.Errorf("ensemble: -agree %d is negative", *agree)
	}
	a, err := embedder.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("ensemble: %w", err)
	}
	b, err := embedder.Open(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("ensemble: %w", err)
	}
	if a.Template != b.Template || a.Norm != b.Norm {
		return fmt.Errorf("ensemble: %s crops or normalises faces unlike %s: their embeddings of one face would be of different crops", fs.Arg(1), fs.Arg(0))
	}
	if *agree > 0 {
		if *peoplePath == "" || *root == "" {
			data, err := dataset.Root()
			if err != nil {
				return fmt.Errorf("ensemble: no -people or -root given and %v", err)
			}
			*peoplePath = cmp.Or(*peoplePath, filepath.Join(data, "lfw", "peopleDevTrain.txt"))
			*root = cmp.Or(*root, filepath.Join(data, "lfw", "images"))
		}
		c, n, err := agreement(ctx, a, b, *peoplePath, *root, *agree, stderr)
		if err != nil {
			return err
		}
		log.Printf("members agree: mean cosine %.4f between their embeddings of %d training faces", c, n)
		if c < *minAgree {
			return fmt.Errorf("ensemble: the members' embeddings of the same face have mean cosine %.3f (< %.2f): they do not map faces into one space, and their sum would verify worse than either", c, *minAgree)
		}
	}
	m, err := nn.Ensemble(a.Model, b.Model)
	if err != nil {
		return err
	}
	for _, k := range []string{embedder.MetaCohort, embedder.MetaThreshold, embedder.MetaStrictThreshold,
		"wall_time", "epochs_time", "seed", "soup_of"} {
		delete(m.Meta, k)
	}
	// Not the first member's architecture: cmd/train cannot start from
	// the sum, and the engine's model info should not call it one network.
	m.Meta["architecture"] = fmt.Sprintf("ensemble of %s and %s", cmp.Or(a.Model.Meta["architecture"], "?"), cmp.Or(b.Model.Meta["architecture"], "?"))
	m.Meta["trained_by"] = "cmd/ensemble " + strings.Join(args, " ")
	m.Meta["ensemble_of"] = fs.Arg(0) + " " + fs.Arg(1)
	n, err := nn.SaveFile(*out, m)
	if err != nil {
		return err
	}
	log.Printf("wrote %s (%d bytes): the sum of %s and %s; give it a cohort and threshold with cmd/cohort", *out, n, fs.Arg(0), fs.Arg(1))
	return nil
}

// agreement embeds the first picture of the first n people of peoplePath
// with both members (without mirroring: the networks themselves are
// compared) and returns the mean cosine of the two embeddings over the
// faces found, and how many those were.
func agreement(ctx context.Context, a, b *embedder.Embedder, peoplePath, root string, n int, stderr io.Writer) (float64, int, error) {
	people, err := dataset.ReadPeopleFile(peoplePath, root)
	if err != nil {
		return 0, 0, fmt.Errorf("ensemble: %w", err)
	}
	var paths []string
	for _, p := range people {
		if len(paths) == n {
			break
		}
		if len(p.Images) > 0 {
			paths = append(paths, p.Images[0])
		}
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return 0, 0, err
	}
	var embs [2][][]float32
	for i, e := range []*embedder.Embedder{a, b} {
		e.Mirror = false // the networks themselves; the file's "mirror" setting is untouched
		ws, err := e.Workers(runtime.NumCPU())
		if err != nil {
			return 0, 0, err
		}
		embs[i], err = eval.Embed(ctx, ws, cascades.NewDetector, paths, func(done, total int) {
			fmt.Fprintf(stderr, "\rmember %d: %d/%d faces", i+1, done, total)
		})
		fmt.Fprintln(stderr)
		if err != nil {
			return 0, 0, fmt.Errorf("ensemble: embedding with member %d: %w", i+1, err)
		}
	}
	var sum float64
	found := 0
	for k := range paths {
		x, y := embs[0][k], embs[1][k]
		if x == nil || y == nil {
			continue
		}
		var dot float64
		for j := range x {
			dot += float64(x[j]) * float64(y[j])
		}
		sum += dot
		found++
	}
	if found == 0 {
		return 0, 0, fmt.Errorf("ensemble: no face found in the %d pictures that measure agreement", len(paths))
	}
	return sum / float64(found), found, nil
}
