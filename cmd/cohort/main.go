// Command cohort gives a trained embedder the two things that calibrate
// its comparisons at verification time, and recalibrates its threshold for
// them:
//
//   - test-time mirroring (metadata "mirror"): every face is embedded with
//     its mirror image and the two embeddings are averaged;
//   - a cohort (metadata "cohort", gallery.Cohort): the model's mirrored
//     embeddings of one plain picture of each training person, against
//     which every distance is normalised (adaptive symmetric
//     normalisation over each face's K nearest cohort faces; the comment
//     of gallery.Cohort derives it).
//
// Run it on the output of cmd/train or cmd/soup:
//
//	go run ./cmd/cohort -model build/compact-soup.oneshot -out models/compact.oneshot
//
// The cohort is the first picture of each training person in which a face
// is found: LFW's -people (default peopleDevTrain.txt, public figures), and
// with -fiw-cohort FIW's -fiw training families too (private people,
// children among them, whose embeddings a shipped file should not carry:
// that option is for measuring; the two sets' people take turns, so that
// -faces keeps both), never a test or validation person; it is
// stored as 8-bit values (128 bytes a face, a third more as base64 in the
// file's header). The threshold is then chosen, as
// cmd/train chooses it, to maximise accuracy on the calibration pairs with
// the normalised distances: LFW's -pairs (default pairsDevTrain.txt) and as
// many pairs drawn from the FIW training people (dataset.FIWPairs: one
// person's two pictures, or two people of different families), so that the
// threshold fits family photographs of all ages as well as press photos.
// ORL's 40 laboratory people are left out: their easy impostors would pull
// the strict point below towards leniency. The people of those pairs may be
// in the cohort; for each pair the cohort faces of its two people are left
// out of the statistics (a person is not their own impostor), as they are
// for any face the cohort does not hold. On the same distances it stores a
// stricter operating point (metadata "threshold_strict",
// embedder.StrictThreshold): the largest distance at which at most 1% of
// the calibration pairs of two different people are accepted on LFW's
// pairs and on FIW's each (eval.Report.StrictThreshold: the set whose
// impostors come closer decides; pairs with a picture without a face are
// left out), the point a developer picks when false accepts cost more
// than false rejects. With
// -cohort=false no cohort is stored and the plain distances are calibrated.
// About 6 minutes on 2 cores.
//
// Faces unlike the cohort's (other cameras and light than LFW's press
// photographs) have only distant cohort neighbours, and their comparisons
// are judged more leniently: on ORL's greyscale laboratory pictures the
// stored threshold accepted more impostors than with raw distances
// (MODEL_CARD.md, "Faces unlike the cohort"). -cohort=false stores none.
//
// With -fiw-composite N the cohort also holds composite faces of FIW's
// training families (composite.go): each the pixel mean of N aligned
// pictures of N different people, a family photograph that is none of
// them. How much a composite still gives its people away is measured as
// it is made and logged: with N = 16, a member's own picture lies nearer
// the composite than a non-member's with probability 0.58 (0.5 would be no
// telling), against 0.81 with N = 4 (2026-12-07, docs/training-log.md).
//
// The cohort's faces are templates of real people (LFW's public figures:
// no names or pictures are stored). With -blend each cohort face is
// instead the mean of two people's (measured 2026-11-29,
// docs/training-log.md: no loss on the test people, four of
// pairsDevTrain's 2,200 pairs fewer right). Such a point is nobody's
// template but lies much nearer each of its two people than strangers lie
// to each other (2 − √2 against about 2 in squared distance, for
// near-orthogonal embeddings), so it still tells who is among them.
//
// Flags:
//
//	-model FILE    the trained embedder (required)
//	-out FILE      model file to write (required; written whole or not at all)
//	-k N           nearest cohort faces per face's statistics (default 50)
//	-faces N       keep at most N cohort faces, of the first people with a face
//	               (default 0: all); a larger network leaves less of the 2.5 MB
//	               budget for the cohort
//	-mirror        embed with mirroring (default true)
//	-blend         make each cohort face the mean of two people's (default false)
//	-half          first round the network's weights to half precision
//	               (nn.Model.RoundToHalf; default false): the file stores them in
//	               two bytes each (format version 2), and the cohort and threshold
//	               are made for the rounded network
//	-int8          then round the weights of convolutions and dense layers to 8
//	               bits with a scale per output channel (nn.Model.RoundToInt8;
//	               default false; format version 3), the cohort and threshold
//	               made for that network
//	-people FILE   LFW people whose first picture joins the cohort (LFW people format)
//	-pairs FILE    LFW pairs to calibrate the threshold on (LFW pairs format)
//	-root DIR      the LFW images folder both name pictures under
//	-fiw FILE      FIW training people (peopleTrain.txt format) who give calibration
//	               pairs ("none": LFW alone)
//	-fiw-pairs N   calibration pairs of each kind drawn from them (default 1100)
//	-cohort        store a cohort (default true; false: calibrate plain distances)
//	-fiw-cohort    the -fiw people join the cohort too (default false; for measuring)
//	-fiw-composite N
//	               add composite faces of N -fiw people each (default 0: none)
//	-composites N  at most this many composites (default 2000; each picture
//	               joins one, so larger N make fewer)
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		log.Fatal("cohort: ", err)
	}
}

// options are the command's flags.
type options struct {
	model, out          string
	k                   int
	mirror, blend       bool
	fivePoint           bool
	fivePointSet        bool // -five-point was given; else the model's own alignment is kept
	half, int8          bool
	faces               int
	people, pairs, root string
	fiw                 string
	fiwPairs            int
	cohort, fiwCohort   bool
	composite           int // people in each FIW composite cohort face; 0: none
	composites          int // how many
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("cohort", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.model, "model", "", "the trained embedder's model file")
	fs.StringVar(&o.out, "out", "", "model file to write")
	fs.IntVar(&o.k, "k", 50, "nearest cohort faces per face's statistics")
	fs.BoolVar(&o.mirror, "mirror", true, "embed every face with its mirror image")
	fs.BoolVar(&o.fivePoint, "five-point", false, "align every face by five points (pupils, nose tip, mouth corners: face.FivePointEyes) instead of the pupils alone; the file's template says so, and every user of the file aligns so (default: as -model's template does)")
	fs.IntVar(&o.faces, "faces", 0, "keep at most this many cohort faces, those of the first people with a face (0: all; with -fiw-cohort LFW's and FIW's people take turns, so both sets share the faces kept); a larger network leaves less of the 2 MB file for the cohort")
	fs.BoolVar(&o.blend, "blend", false, "make each cohort face the mean of two people's, so that none is one person's template")
	fs.BoolVar(&o.half, "half", false, "round the network's weights to half precision first (nn.Model.RoundToHalf): the file's weights take half the bytes")
	fs.BoolVar(&o.int8, "int8", false, "then round the weights of convolutions and dense layers to 8 bits with a scale per output channel (nn.Model.RoundToInt8): a quarter of float32's bytes")
	fs.StringVar(&o.people, "people", "", "people whose first picture makes the cohort (default $ONESHOT_DATA/lfw/peopleDevTrain.txt)")
	fs.StringVar(&o.pairs, "pairs", "", "pairs of the cohort's people to calibrate the threshold on (default $ONESHOT_DATA/lfw/pairsDevTrain.txt)")
	fs.StringVar(&o.root, "root", "", "the LFW images folder (default $ONESHOT_DATA/lfw/images)")
	fs.StringVar(&o.fiw, "fiw", "", "FIW training people whose first picture joins the cohort and who give calibration pairs (default $ONESHOT_DATA/fiw/peopleTrain.txt; \"none\" for LFW alone; never peopleVal.txt)")
	fs.IntVar(&o.fiwPairs, "fiw-pairs", 1100, "calibration pairs of each kind drawn from the -fiw people (dataset.FIWPairs), as many as pairsDevTrain has")
	fs.BoolVar(&o.cohort, "cohort", true, "normalise distances against a cohort; -cohort=false calibrates the plain distances and stores no cohort")
	fs.BoolVar(&o.fiwCohort, "fiw-cohort", false, "the -fiw people's first pictures join the cohort too (private people, children among them: for measuring, not for a file that ships)")
	fs.IntVar(&o.composite, "fiw-composite", 0, "add composite cohort faces, each the pixel mean of this many -fiw people's aligned pictures (0: none; at least 2), family photographs that are nobody's")
	fs.IntVar(&o.composites, "composites", 2000, "how many composite faces -fiw-composite adds")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.fivePointSet = o.fivePointSet || f.Name == "five-point" })
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if o.model == "" || o.out == "" {
		return o, errors.New("want -model and -out (see -h)")
	}
	if o.k < 1 {
		return o, fmt.Errorf("-k %d: use at least 1", o.k)
	}
	if o.faces < 0 || o.faces > 0 && o.faces < o.k {
		return o, fmt.Errorf("-faces %d: want 0 (all) or at least -k (%d)", o.faces, o.k)
	}
	if o.fiwCohort && (!o.cohort || o.fiw == "none") {
		return o, errors.New("-fiw-cohort puts the -fiw people in the cohort: it needs -cohort and -fiw")
	}
	if o.composite != 0 && (o.composite < 2 || o.composites < 1 || !o.cohort || o.fiw == "none") {
		return o, fmt.Errorf("-fiw-composite %d -composites %d: want at least 2 people a composite and 1 composite, with -cohort and -fiw", o.composite, o.composites)
	}
	if o.fiwPairs < 1 {
		return o, fmt.Errorf("-fiw-pairs %d: want at least 1", o.fiwPairs)
	}
	if o.people == "" || o.pairs == "" || o.root == "" || o.fiw == "" {
		data, err := dataset.Root()
		if err != nil {
			return o, fmt.Errorf("no -people, -pairs or -root given and %v", err)
		}
		o.people = cmp.Or(o.people, filepath.Join(data, "lfw", "peopleDevTrain.txt"))
		o.pairs = cmp.Or(o.pairs, filepath.Join(data, "lfw", "pairsDevTrain.txt"))
		o.root = cmp.Or(o.root, filepath.Join(data, "lfw", "images"))
		o.fiw = cmp.Or(o.fiw, filepath.Join(data, "fiw", "peopleTrain.txt"))
	}
	if o.fiw == "none" {
		o.fiw = ""
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	e, err := embedder.Open(o.model)
	if err != nil {
		return err
	}
	m := e.Model
	// A cohort made by other weights, or for another setting of the
	// mirror, would not describe this model: start clean.
	delete(m.Meta, embedder.MetaCohort)
	m.Meta[embedder.MetaMirror] = "0"
	if o.mirror {
		m.Meta[embedder.MetaMirror] = "1"
	}
	people, err := dataset.ReadPeopleFile(o.people, o.root)
	if err != nil {
		return err
	}
	pairs, err := dataset.ReadPairsFile(o.pairs, o.root, "lfw")
	if err != nil {
		return err
	}
	parts := []int{len(pairs)} // pairs of each calibration set, in order
	var fiw []dataset.Person
	if o.fiw != "" {
		fiw, err = dataset.ReadFIWPeopleFile(o.fiw, filepath.Join(filepath.Dir(o.fiw), "images"))
		if err != nil {
			return fmt.Errorf("-fiw: %w", err)
		}
		fp, err := dataset.FIWPairs(fiw, o.fiwPairs, false, 1)
		if err != nil {
			return fmt.Errorf("-fiw: %w", err)
		}
		pairs = append(pairs, fp...)
		parts = append(parts, len(fp))
		if o.fiwCohort {
			people = interleave(people, fiw)
		}
	}
	if o.half {
		worst := m.RoundToHalf()
		log.Printf("rounded the weights to half precision (largest change %.2g of its tensor's largest value); the cohort and threshold are made for the rounded network", worst)
	}
	if o.int8 {
		worst := m.RoundToInt8()
		log.Printf("rounded the weights of convolutions and dense layers to 8 bits (largest change %.2g of its channel's largest value); the cohort and threshold are made for the rounded network", worst)
	}
	// The alignment, -five-point's or the model's own: the cohort and
	// thresholds are made with it, and the template records it.
	t := e.Template
	if o.fivePointSet {
		t.FivePoint = o.fivePoint
	}
	if err := embedder.Describe(m, t, e.Norm, 0); err != nil {
		return err
	}
	if e, err = embedder.New(m); err != nil {
		return err
	}
	embs, newDetector, err := workers(e)
	if err != nil {
		return err
	}

	calibratedOn := filepath.Base(o.pairs)
	if o.fiw != "" {
		calibratedOn += fmt.Sprintf(" and %d + %d pairs of %s", o.fiwPairs, o.fiwPairs, filepath.Base(o.fiw))
	}
	var r eval.Report
	cohortOf := "none"
	if o.cohort {
		c, names, err := makeCohort(ctx, o, people, fiw, embs, newDetector, stderr)
		if err != nil {
			return err
		}
		text, err := c.MarshalText()
		if err != nil {
			return err
		}
		m.Meta[embedder.MetaCohort] = string(text)
		cohortOf = strconv.Itoa(c.Len()) + " faces, k " + strconv.Itoa(c.K()) + ", from " + filepath.Base(o.people)
		if o.fiwCohort && o.fiw != "" {
			cohortOf += " and " + filepath.Base(o.fiw)
		}
		if o.blend {
			cohortOf += ", each the mean of two people's"
		}
		if o.composite > 0 {
			cohortOf += fmt.Sprintf(", and composites of %d %s people each", o.composite, filepath.Base(o.fiw))
		}
		// The threshold, on the normalised distances of the calibration pairs.
		if r, err = calibrate(ctx, c, names, embs, newDetector, pairs, meter(stderr, "calibration pairs")); err != nil {
			return err
		}
	} else if r, err = eval.Pairs(ctx, embs, newDetector, pairs, meter(stderr, "calibration pairs")); err != nil {
		return err
	}
	if !(r.Threshold > 0) {
		return fmt.Errorf("no threshold tells the calibration pairs apart (accuracy %.3f): the model does not verify faces", r.Accuracy)
	}
	if err := embedder.Describe(m, e.Template, e.Norm, r.Threshold); err != nil {
		return err
	}
	// The strict point: where at most 1% of the calibration pairs of two
	// people are accepted, on LFW's pairs and on FIW's each (the harder
	// set decides). Kept only when it is stricter than the threshold.
	strict := "none"
	st, err := r.StrictThreshold(parts)
	if err != nil {
		return err
	}
	if st > 0 && st < r.Threshold {
		if err := embedder.DescribeStrict(m, st); err != nil {
			return err
		}
		p := r.At(st)
		strict = fmt.Sprintf("%.4f (TAR %.3f, FAR %.2f%% on all calibration pairs; at most %.0f%% on each set's)", st, p.TAR(), 100*p.FAR(), 100*eval.FAR1)
	}
	m.Meta["cohort_by"] = "cmd/cohort " + strings.Join(args, " ")
	m.Meta["cohort_of"] = cohortOf
	m.Meta["calibrated_on"] = calibratedOn
	n, err := nn.SaveFile(o.out, m)
	if err != nil {
		return err
	}
	log.Printf("wrote %s (%d bytes): cohort %s, mirror %v, five-point alignment %v; threshold %.4f calibrated on %s "+
		"(accuracy %.4f there; 10-fold %.4f ± %.4f); strict threshold %s", o.out, n, cohortOf, o.mirror, t.FivePoint, r.Threshold, calibratedOn,
		r.AccuracyAt(r.Threshold), r.Accuracy, r.Std, strict)
	return nil
}

// makeCohort embeds the first picture of each person in which a face is
// found (at most o.faces of them) and makes the cohort of those faces; the
// second result names, for each cohort face, the people it is of
// (person), whom calibrate leaves out of their own pairs' statistics.
func makeCohort(ctx context.Context, o options, people, fiw []dataset.Person, embs []*embedder.Embedder,
	newDetector func() *face.Detector, stderr io.Writer) (*gallery.Cohort, [][]string, error) {
	paths := make([]string, len(people))
	for i, p := range people {
		paths[i] = p.Images[0]
	}
	vecs, err := eval.Embed(ctx, embs, newDetector, paths, meter(stderr, "cohort"))
	if err != nil {
		return nil, nil, err
	}
	var cohortVecs [][]float32
	var names [][]string // cohort face i is of the people names[i]
	for i, v := range vecs {
		if v == nil {
			continue
		}
		// The gallery compares unit vectors, and so do the cohort's
		// statistics and the calibration.
		if n := norm(v); math.Abs(n-1) > 1e-3 {
			return nil, nil, fmt.Errorf("%s: the model gives embeddings of length %.4g, not unit vectors (no L2 normalisation at its end, and no mirroring, which normalises): a cohort needs unit vectors", paths[i], n)
		}
		cohortVecs = append(cohortVecs, v)
		names = append(names, []string{person(paths[i])})
		if len(cohortVecs) == o.faces {
			break
		}
	}
	if o.blend {
		cohortVecs, names = blend(cohortVecs, names)
	}
	if o.composite > 0 {
		made, crops, owner, err := makeComposites(ctx, fiw, o.composite, o.composites, embs, newDetector, meter(stderr, "composites' pictures"))
		if err != nil {
			return nil, nil, err
		}
		pics, err := embedAll(ctx, embs, crops)
		if err != nil {
			return nil, nil, err
		}
		leak := measureLeak(made, pics, owner)
		log.Printf("composites' leak: a member's picture nearer than a non-member's with probability %.3f for the pictures they were made of, %.3f for the members' other pictures (0.5: no telling); a member the nearest of all %d pictures for %.2f%% of composites", leak.AUC, leak.OtherAUC, len(crops), 100*leak.Nearest)
		for _, c := range made {
			cohortVecs = append(cohortVecs, c.emb)
			var who []string
			for _, m := range c.members {
				who = append(who, owner[m])
			}
			names = append(names, who)
		}
	}
	log.Printf("%d cohort faces, one for each person with a face (of %d people listed; -faces %d); comparing every cohort face with every other", len(cohortVecs), len(people), o.faces)
	c, err := gallery.NewCohort(cohortVecs, o.k)
	return c, names, err
}

// interleave returns the people of a and b taking turns, a first, then
// the rest of the longer list: a cohort cut to its first faces (-faces)
// then holds both sets, not the first alone.
func interleave(a, b []dataset.Person) []dataset.Person {
	out := make([]dataset.Person, 0, len(a)+len(b))
	for i := range max(len(a), len(b)) {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) {
			out = append(out, b[i])
		}
	}
	return out
}

// workers makes one embedder per CPU, ready for inference, and the
// detector maker the pipeline needs.
func workers(e *embedder.Embedder) ([]*embedder.Embedder, func() *face.Detector, error) {
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return nil, nil, err
	}
	embs, err := e.Workers(runtime.NumCPU())
	if err != nil {
		return nil, nil, err
	}
	return embs, cascades.NewDetector, nil
}

// calibrate embeds the pairs' pictures and returns the report of their
// normalised distances, each pair's statistics leaving out the cohort
// faces of its own two people.
func calibrate(ctx context.Context, c *gallery.Cohort, names [][]string, embs []*embedder.Embedder,
	newDetector func() *face.Detector, pairs []dataset.Pair, progress func(int, int)) (eval.Report, error) {
	return eval.PairsBy(ctx, embs, newDetector, pairs, func(p dataset.Pair, a, b []float32) (float32, error) {
		na, nb := person(p.A), person(p.B)
		skip := func(j int) bool { return slices.Contains(names[j], na) || slices.Contains(names[j], nb) }
		sa, err := c.StatsExcept(a, skip)
		if err != nil {
			return 0, err
		}
		sb, err := c.StatsExcept(b, skip)
		if err != nil {
			return 0, err
		}
		return c.Distance(a, b, sa, sb), nil
	}, progress)
}

// blend returns, for each face i of vecs, the unit mean of it and the face
// of another person, i + s (mod n) for a shift s drawn once from a fixed
// seed, with the names of both: a point between two people's faces, the
// template of neither. Every face takes part in two blends.
func blend(vecs [][]float32, names [][]string) ([][]float32, [][]string) {
	n := len(vecs)
	if n < 2 {
		return vecs, names
	}
	shift := 1 + rand.New(rand.NewPCG(1, 2)).IntN(n-1)
	out := make([][]float32, n)
	outNames := make([][]string, n)
	for i := range vecs {
		j := (i + shift) % n
		v := make([]float32, len(vecs[i]))
		for k := range v {
			v[k] = vecs[i][k] + vecs[j][k]
		}
		out[i] = v // NewCohort scales it to unit length
		outNames[i] = append(slices.Clone(names[i]), names[j]...)
	}
	return out, outNames
}

// norm is ‖v‖.
func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// person names the person in a picture: its folder (LFW's images/Name,
// FIW's images/F####/MID#), unique across the data sets.
func person(path string) string { return filepath.Clean(filepath.Dir(path)) }

// meter returns a progress function printing "what: done/total" on one
// line of stderr.
func meter(stderr io.Writer, what string) func(done, total int) {
	return func(done, total int) {
		fmt.Fprintf(stderr, "\r%s: %d/%d images", what, done, total)
		if done == total {
			fmt.Fprintln(stderr)
		}
	}
}
