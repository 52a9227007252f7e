// Command holdout splits the training people into people to train on and
// a selection set held out of training, with verification pairs of the
// held-out people in LFW's View 1 format:
//
//	go run ./cmd/holdout -out build/holdout
//
// writes build/holdout/people.txt (the people to train on, for cmd/train
// -people) and build/holdout/pairs.txt (pairs of the held-out people, for
// cmd/eval -pairs … -format lfw). A run on people.txt validates each epoch
// on the pairs of -val that show people it trains on (cmd/train drops the
// others); its figure on the held-out people is cmd/eval's afterwards.
//
// Why: a model is chosen among candidates on pairs of people; pairs of
// the test people (pairsDevTest.txt) may not be used for that (the data
// rules), and pairs of the training people (pairsDevTrain.txt) measure how
// well a candidate has fitted people it was trained on, not how it
// verifies new ones — candidates that tie there can differ on new people.
// People held out of a run are new to it, as the test people are.
//
// Which people: of the people with 2 to -max-images images, every -every-th
// in list order (they give the matched pairs: up to -per-person distinct
// image pairs each), and every -every-th person with one image (they only
// widen the mismatched pairs). Mismatched pairs, as many as matched, join
// two different held-out people, one image each, no pair twice. The draw is
// fixed by -seed. People with many images (more than -max-images) always
// stay in training: they carry much of the training signal.
//
// Flags:
//
//	-people FILE      people list to split (default $ONESHOT_DATA/lfw/peopleDevTrain.txt)
//	-out DIR          folder for people.txt and pairs.txt (required)
//	-every N          hold out every N-th eligible person (default 5)
//	-max-images N     hold out only people with at most N images (default 10)
//	-per-person N     matched pairs per held-out person, at most (default 3)
//	-seed N           seed of the pair draw (default 1)
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/oneshotface/oneshot/dataset"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("holdout: ")
	data, _ := dataset.Root()
	var (
		people    = flag.String("people", filepath.Join(data, "lfw", "peopleDevTrain.txt"), "people list to split")
		out       = flag.String("out", "", "folder for people.txt and pairs.txt (required)")
		every     = flag.Int("every", 5, "hold out every N-th eligible person")
		maxImages = flag.Int("max-images", 10, "hold out only people with at most this many images")
		perPerson = flag.Int("per-person", 3, "matched pairs per held-out person, at most")
		seed      = flag.Uint64("seed", 1, "seed of the pair draw")
	)
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required (a folder for people.txt and pairs.txt)")
	}
	list, err := dataset.ReadPeopleFile(*people, "")
	if err != nil {
		log.Fatal(err)
	}
	s, err := Split(counts(list), Config{Every: *every, MaxImages: *maxImages, PerPerson: *perPerson, Seed: *seed})
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	var peopleTxt, pairsTxt bytes.Buffer
	s.WritePeople(&peopleTxt)
	s.WritePairs(&pairsTxt)
	if err := writeFile(filepath.Join(*out, "people.txt"), peopleTxt.Bytes()); err != nil {
		log.Fatal(err)
	}
	if err := writeFile(filepath.Join(*out, "pairs.txt"), pairsTxt.Bytes()); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d people to train on (%d images); %d held out (%d images): %d matched + %d mismatched pairs in %s",
		len(s.Train), images(s.Train), len(s.Held), images(s.Held), len(s.Matched), len(s.Mismatched), *out)
}

// Person is a name and its number of images (LFW's images are numbered 1…N).
type Person struct {
	Name   string
	Images int
}

// Config sets how Split chooses the held-out people and their pairs.
type Config struct {
	Every     int    // hold out every Every-th eligible person
	MaxImages int    // people with more images always stay in training
	PerPerson int    // matched pairs per held-out person, at most
	Seed      uint64 // seed of the pair draw
}

// Image is one picture: person and 1-based image number.
type Image struct {
	Name string
	N    int
}

// Pair is two pictures.
type Pair struct{ A, B Image }

// Result is a split: the people to train on, the held-out people, and the
// held-out people's pairs.
type Result struct {
	Train, Held         []Person
	Matched, Mismatched []Pair
}

// Split divides people (in list order) as the package comment says.
func Split(people []Person, c Config) (Result, error) {
	if c.Every < 2 || c.MaxImages < 2 || c.PerPerson < 1 {
		return Result{}, fmt.Errorf("every (%d) and max-images (%d) must be at least 2, per-person (%d) at least 1", c.Every, c.MaxImages, c.PerPerson)
	}
	var r Result
	var multi, single int // eligible people seen so far, by kind
	for _, p := range people {
		if p.Images < 1 {
			return Result{}, fmt.Errorf("%s has %d images", p.Name, p.Images)
		}
		held := false
		switch {
		case p.Images == 1:
			single++
			held = single%c.Every == 0
		case p.Images <= c.MaxImages:
			multi++
			held = multi%c.Every == 0
		}
		if held {
			r.Held = append(r.Held, p)
		} else {
			r.Train = append(r.Train, p)
		}
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x686f6c646f7574)) // "holdout"
	for _, p := range r.Held {
		var all []Pair
		for a := 1; a <= p.Images; a++ {
			for b := a + 1; b <= p.Images; b++ {
				all = append(all, Pair{Image{p.Name, a}, Image{p.Name, b}})
			}
		}
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		r.Matched = append(r.Matched, all[:min(len(all), c.PerPerson)]...)
	}
	if len(r.Matched) == 0 || len(r.Held) < 2 {
		return Result{}, errors.New("no held-out person has two images: hold out more people (a smaller -every, a larger -max-images)")
	}
	// Different people: as many pairs as matched ones, none twice. The
	// number of possible pairs far exceeds the matched count whenever at
	// least a few people are held out; the draw gives up rather than loop.
	seen := map[Pair]bool{}
	for tries := 0; len(r.Mismatched) < len(r.Matched); tries++ {
		if tries > 100*len(r.Matched) {
			return Result{}, errors.New("too few held-out people for as many mismatched pairs as matched ones")
		}
		i, j := rng.IntN(len(r.Held)), rng.IntN(len(r.Held))
		if i == j {
			continue
		}
		if i > j {
			i, j = j, i
		}
		a, b := r.Held[i], r.Held[j]
		p := Pair{Image{a.Name, 1 + rng.IntN(a.Images)}, Image{b.Name, 1 + rng.IntN(b.Images)}}
		if seen[p] {
			continue
		}
		seen[p] = true
		r.Mismatched = append(r.Mismatched, p)
	}
	// Folds are taken in file order (ten slices of each half): mix the
	// people so that each fold holds many of them.
	rng.Shuffle(len(r.Matched), func(i, j int) { r.Matched[i], r.Matched[j] = r.Matched[j], r.Matched[i] })
	return r, nil
}

// WritePeople writes the people to train on as an LFW people list.
func (r Result) WritePeople(w io.Writer) {
	fmt.Fprintln(w, len(r.Train))
	for _, p := range r.Train {
		fmt.Fprintf(w, "%s\t%d\n", p.Name, p.Images)
	}
}

// WritePairs writes the held-out pairs in LFW's View 1 format: the count,
// the matched pairs, then as many mismatched ones.
func (r Result) WritePairs(w io.Writer) {
	fmt.Fprintln(w, len(r.Matched))
	for _, p := range r.Matched {
		fmt.Fprintf(w, "%s\t%d\t%d\n", p.A.Name, p.A.N, p.B.N)
	}
	for _, p := range r.Mismatched {
		fmt.Fprintf(w, "%s\t%d\t%s\t%d\n", p.A.Name, p.A.N, p.B.Name, p.B.N)
	}
}

// counts turns dataset people into names and image counts.
func counts(list []dataset.Person) []Person {
	out := make([]Person, len(list))
	for i, p := range list {
		out[i] = Person{p.Name, len(p.Images)}
	}
	return out
}

func images(ps []Person) int {
	n := 0
	for _, p := range ps {
		n += p.Images
	}
	return n
}

// writeFile writes a file whole or not at all: a temporary file renamed
// over path, as nn.SaveFile writes models.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, data, 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
